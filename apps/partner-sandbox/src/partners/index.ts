import type { SandboxPartner } from '../sandbox-partner';
import { AmazonPartner } from './amazon/amazon.partner';
import { CloudinaryPartner } from './cloudinary/cloudinary.partner';
import { NykaaPartner } from './nykaa/nykaa.partner';
import { RazorpayPartner } from './razorpay/razorpay.partner';

/** Every partner the sandbox serves; each entry builds a fresh instance (fresh state). */
export const PARTNER_FACTORIES: (() => SandboxPartner)[] = [() => new AmazonPartner(), () => new NykaaPartner(), () => new CloudinaryPartner(), () => new RazorpayPartner()];
