import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiOmitProblem, ApiProblem, CurrentOrigin, notFound, Partner, PARTNERS, ProblemException, RequestOrigin, RequireScope, toDate, validationFailed } from '@hub/core';
import { CredentialListDto, CredentialOutcomeDto, PutCredentialDto, VerifyCredentialDto } from './dto/credential.dto';
import { isPartner, validatePartnerFields } from './partners/partner-fields';
import { VaultService } from './vault.service';

/** When to try again after a partner could not answer a verification: its outages are short, its throttling shorter. */
const PARTNER_RETRY_AFTER_SECONDS = 30;

const partnerParam = { name: 'partner', enum: PARTNERS as unknown as string[] };
const BAD_PARTNER = `\`partner\` is not one of ${PARTNERS.join(', ')}`;

@ApiTags('vault')
@Controller('v1/vault/credentials')
export class VaultController {
  constructor(private readonly vault: VaultService) {}

  @Get()
  @RequireScope('vault:read')
  @ApiOperation({ summary: 'Partner credentials: every version with status, fingerprint and health (never a secret)' })
  @ApiOkResponse({ type: CredentialListDto })
  async list(@CurrentOrigin() origin: RequestOrigin): Promise<CredentialListDto> {
    return { data: await this.vault.list(origin) };
  }

  @Put(':partner')
  @HttpCode(201)
  @RequireScope('vault:write')
  @ApiParam(partnerParam)
  @ApiOperation({
    summary: 'Store a new credential version, verify it with the partner, and make it current',
    description:
      'The version is stored encrypted as `pending`, verified with the partner (Amazon: an LWA token exchange, then an SP-API ' +
      'listing read for the seller and marketplace; Nykaa: its auth check, whose seller must match `sellerId`; Razorpay: an ' +
      'authenticated read; Cloudinary: an Admin API ping), and only then made ' +
      '`current`. The version it replaces becomes `previous` and stays usable until its own expiry (the earlier of the one set ' +
      'and the one the partner announced); only a version with neither gets a grace of 7 days (VAULT_PREVIOUS_GRACE_DAYS, shown as ' +
      '`graceUntil`). If the partner refuses it the answer is 422 `credential-verification-failed` ' +
      'with the partner\'s error (503 `partner-unavailable` with Retry-After when it could not be reached); the version stays `pending` and can be re-checked with POST .../verify {version}. Versions only ' +
      'move forward: promoting a version retires the pending versions older than it, and a version that verifies after a newer ' +
      'one became current is answered with status `retired` instead of replacing it.',
  })
  @ApiCreatedResponse({ type: CredentialOutcomeDto })
  @ApiProblem(400, 'validation-failed', `${BAD_PARTNER}, \`fields\` are not the partner's, or \`expiresAt\` is not in the future`)
  @ApiProblem(422, 'credential-verification-failed', "the partner refused the credential (its error in `error`); it stays pending")
  @ApiProblem(503, 'partner-unavailable', 'the partner could not be reached (down, timing out, throttling); the credential stays pending: re-check it with POST .../verify {version}', {
    retryAfter: true,
  })
  @ApiOmitProblem(404, 'an unknown partner is 400 validation-failed; PUT creates the version')
  async put(@Param('partner') partner: string, @Body() body: PutCredentialDto, @CurrentOrigin() origin: RequestOrigin): Promise<CredentialOutcomeDto> {
    const p = this.partner(partner);
    const checked = validatePartnerFields(p, body.fields);
    if (!checked.fields) throw validationFailed(checked.errors);
    // IsISO8601 also passes week and ordinal dates that `new Date()` cannot read, and `new Date()`
    // reads a zoneless value in the server's zone: the strict parser reads it as UTC, like every date we take.
    const expiresAt = toDate('expiresAt', body.expiresAt) ?? null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) throw validationFailed([{ field: 'expiresAt', message: 'must be in the future' }]);
    const outcome = await this.vault.write(p, { fields: checked.fields, expiresAt, rotateEveryDays: body.rotateEveryDays ?? null }, origin);
    if (!outcome.verification.ok) {
      const v = outcome.verification;
      const extensions = { partner: p, version: outcome.credential.version, credentialStatus: outcome.credential.status, error: v.error, retryable: !v.rejected, credential: outcome.credential };
      // A partner that could not answer (down, timing out, throttling) said nothing about the
      // credential: that is not the caller's input being wrong, so not a 422. An answer that proves
      // nothing (a wrong partner URL) stays a 422: retrying in 30 s would not change it.
      if (v.unavailable) {
        throw new ProblemException(503, 'partner-unavailable', `${p} could not be reached to verify credential v${outcome.credential.version}: ${v.error}`, {
          title: 'The partner could not verify this credential right now',
          headers: { 'Retry-After': String(PARTNER_RETRY_AFTER_SECONDS) },
          extensions,
        });
      }
      throw new ProblemException(422, 'credential-verification-failed', `${p} did not accept credential v${outcome.credential.version}: ${v.error}`, {
        title: 'The partner did not accept this credential',
        extensions,
      });
    }
    return outcome;
  }

  @Post(':partner/verify')
  @HttpCode(200)
  @RequireScope('vault:write')
  @ApiParam(partnerParam)
  @ApiBody({ type: VerifyCredentialDto, required: false })
  @ApiOperation({
    summary: 'Re-check a credential with the partner now',
    description:
      'Checks the current version (or `version`). The answer is 200 with `verification.ok` either way: a failing check is a ' +
      'result, not a request error. Success clears `failing`, resumes a paused channel and resolves its alerts; a pending ' +
      'version that passes becomes current.',
  })
  @ApiOkResponse({ type: CredentialOutcomeDto })
  @ApiProblem(400, 'validation-failed', BAD_PARTNER)
  @ApiProblem(404, 'not-found', 'the partner has no current credential, or no such `version`')
  async verify(@Param('partner') partner: string, @Body() body: VerifyCredentialDto, @CurrentOrigin() origin: RequestOrigin): Promise<CredentialOutcomeDto> {
    const p = this.partner(partner);
    const outcome = await this.vault.verify(p, body?.version, origin);
    if (!outcome) throw notFound(body?.version ? `${p} credential version ${body.version}` : `A current ${p} credential`);
    return outcome;
  }

  private partner(v: string): Partner {
    if (!isPartner(v)) throw validationFailed([{ field: 'partner', message: `must be one of ${PARTNERS.join(', ')}` }]);
    return v;
  }
}

