/**
 * Strict base64 (RFC 4648 §4) for SASL. Node's own decoder silently skips characters outside the
 * alphabet and tolerates missing padding; the protocol must instead answer malformed base64 with a
 * clear reply (RFC 4422 §5, RFC 4954 §4), so every deviation here is an error.
 */
import { EsonError } from '../core/errors.ts';

/** Malformed base64. Kind 'invalid-argument', so the protocol layer answers it with 501. */
export class Base64Error extends EsonError {
  constructor(message: string) {
    super('invalid-argument', message);
    this.name = 'Base64Error';
  }
}

const OUTSIDE_ALPHABET = /[^A-Za-z0-9+/=]/;

/**
 * Decodes canonical base64: only the RFC 4648 §4 alphabet, length a multiple of 4, padding only
 * at the end, and zero pad bits (RFC 4648 §3.5), so that each byte string has exactly one
 * encoding. `''` decodes to an empty buffer. Throws Base64Error; messages never echo the input.
 */
export function decodeBase64Strict(text: string): Buffer {
  const outside = OUTSIDE_ALPHABET.exec(text);
  if (outside !== null) {
    throw new Base64Error(`invalid base64: character outside the alphabet at offset ${outside.index}`);
  }
  if (text.length % 4 !== 0) {
    throw new Base64Error(`invalid base64: length ${text.length} is not a multiple of 4`);
  }
  const pad = text.indexOf('=');
  if (pad >= 0 && (pad < text.length - 2 || (pad === text.length - 2 && text[pad + 1] !== '='))) {
    throw new Base64Error('invalid base64: padding is allowed only at the end');
  }
  const bytes = Buffer.from(text, 'base64');
  // Re-encoding catches non-zero pad bits ("QR==" would otherwise decode like "QQ==").
  if (bytes.toString('base64') !== text) {
    throw new Base64Error('invalid base64: non-zero bits after the last symbol');
  }
  return bytes;
}

/** Canonical base64 with padding, the only form decodeBase64Strict accepts. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
