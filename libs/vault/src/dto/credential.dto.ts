import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsObject, IsOptional, Max, Min } from 'class-validator';
import { CREDENTIAL_HEALTH, CREDENTIAL_STATUSES } from '../credential-health';

export class PutCredentialDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      'The partner\'s credential fields, all strings. amazon: clientId, clientSecret, refreshToken, sellerId, marketplaceId; ' +
      'nykaa: apiKey, sellerId; razorpay: keyId, keySecret, webhookSecret; cloudinary: cloudName, apiKey, apiSecret. ' +
      'Stored encrypted; never returned.',
    example: { clientId: 'amzn1.application-oa2-client.abc', clientSecret: '…', refreshToken: 'Atzr|…', sellerId: 'A1SELLER', marketplaceId: 'A21TJRUUN4KGV' },
  })
  @IsObject()
  fields: Record<string, unknown>;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the partner stops accepting this version (must be in the future). Without a zone it is read as UTC.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 3650, description: 'Rotation policy: the version counts as stale after this many days.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  rotateEveryDays?: number;
}

/** Versions are Postgres `integer`s: a larger number would reach the query as an overflow (500). */
const MAX_VERSION = 2_147_483_647;

export class VerifyCredentialDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_VERSION, description: 'Version to check (default: the current one). A pending version that passes becomes current.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION)
  version?: number;
}

export class CredentialVersionDto {
  @ApiProperty({ enum: ['amazon', 'nykaa', 'razorpay', 'cloudinary'] }) partner: string;
  @ApiProperty({ type: 'integer' }) version: number;
  @ApiProperty({ enum: CREDENTIAL_STATUSES }) status: string;
  @ApiProperty({ example: 'api', description: 'environment (bootstrap import), api, or amazon-notification' }) source: string;
  @ApiProperty({ example: '3f9a0c1d22be', description: 'Keyed hash prefix of the secret fields: tells versions apart, reveals nothing' }) fingerprint: string;
  @ApiProperty({ enum: CREDENTIAL_HEALTH }) health: string;
  @ApiProperty({ nullable: true, type: Number, description: 'For expiring: the tightest warning threshold crossed (days)' }) expiringWithinDays: number | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the partner stops accepting it (set by the operator or announced by the partner)' }) expiresAt: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'A previous version without expiresAt: when the vault stops using it (VAULT_PREVIOUS_GRACE_DAYS after it was replaced)',
  })
  graceUntil: string | null;
  @ApiProperty({ nullable: true, type: 'integer' }) rotateEveryDays: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When it became current' }) rotatedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) retiredAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastVerifiedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastFailureAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The partner\'s last error for this version' }) lastError: string | null;
  @ApiProperty({ type: 'integer', description: 'Master key version its data key is wrapped with' }) masterKeyVersion: number;
}

export class VerificationDto {
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({ description: 'The partner refused the credential (false: the partner could not be reached)' }) rejected?: boolean;
  @ApiPropertyOptional() error?: string;
}

export class CredentialOutcomeDto {
  @ApiProperty({ type: CredentialVersionDto }) credential: CredentialVersionDto;
  @ApiProperty({ type: VerificationDto }) verification: VerificationDto;
}

export class PartnerCredentialsDto {
  @ApiProperty({ enum: ['amazon', 'nykaa', 'razorpay', 'cloudinary'] }) partner: string;
  @ApiProperty({ type: [CredentialVersionDto], description: 'Newest version first' }) versions: CredentialVersionDto[];
}

export class CredentialListDto {
  @ApiProperty({ type: [PartnerCredentialsDto] }) data: PartnerCredentialsDto[];
}
