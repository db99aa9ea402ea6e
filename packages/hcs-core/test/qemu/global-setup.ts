/** Build (or reuse) the guest image once, before the qemu project's first test file. */
import { guestImage } from './helpers.js';

export default function setup(): void {
  guestImage();
}
