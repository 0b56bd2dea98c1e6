/**
 * SASLprep (RFC 4013), the stringprep (RFC 3454) profile for user names and passwords, without a
 * dependency. Implemented: the §2.1 mappings, §2.2 NFKC, the §2.3 prohibited output tables, the
 * §2.4 bidi rules and, for stored strings, §2.5 unassigned code points. Two approximations, both
 * documented where they apply: "unassigned" means unassigned in the Unicode version of the running
 * Node (not Unicode 3.2, RFC 3454 Table A.1), and LCat (Table D.2, hundreds of ranges) is
 * approximated by letters and spacing marks outside the right-to-left scripts.
 */
import { EsonError } from '../core/errors.ts';

/** A string SASLprep refuses. Messages never contain the string: it is usually a password. */
export class SaslprepError extends EsonError {
  constructor(message: string) {
    super('invalid-argument', message);
    this.name = 'SaslprepError';
  }
}

export interface SaslprepOptions {
  /**
   * RFC 4013 §2.5 / RFC 3454 §7: queries may hold unassigned code points, stored strings may not.
   * Default true (query); deriving a credential to store passes false.
   */
  readonly allowUnassigned?: boolean;
}

type Ranges = readonly (readonly [number, number])[];

/** RFC 3454 Table B.1: commonly mapped to nothing. */
const MAPPED_TO_NOTHING: Ranges = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

/** RFC 3454 Table C.1.2: non-ASCII space characters (mapped to SPACE, RFC 4013 §2.1). */
const NON_ASCII_SPACE: Ranges = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];

/** RFC 4013 §2.3: RFC 3454 Tables C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8 and C.9. */
const PROHIBITED: Ranges = [
  ...NON_ASCII_SPACE,
  // C.2.1 ASCII control characters
  [0x0000, 0x001f],
  [0x007f, 0x007f],
  // C.2.2 non-ASCII control characters
  [0x0080, 0x009f],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200c, 0x200d],
  [0x2028, 0x2029],
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffc],
  [0x1d173, 0x1d17a],
  // C.3 private use
  [0xe000, 0xf8ff],
  [0xf0000, 0xffffd],
  [0x100000, 0x10fffd],
  // C.4 non-character code points (the plane-final pairs are tested separately)
  [0xfdd0, 0xfdef],
  // C.5 surrogate codes: lone surrogates of a malformed JavaScript string land here
  [0xd800, 0xdfff],
  // C.6 inappropriate for plain text
  [0xfff9, 0xfffd],
  // C.7 inappropriate for canonical representation
  [0x2ff0, 0x2ffb],
  // C.8 change display properties or deprecated
  [0x0340, 0x0341],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x206a, 0x206f],
  // C.9 tagging characters
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
];

/** RFC 3454 Table D.1: characters with bidirectional property R or AL (RandALCat). */
const RAND_AL_CAT: Ranges = [
  [0x05be, 0x05be],
  [0x05c0, 0x05c0],
  [0x05c3, 0x05c3],
  [0x05d0, 0x05ea],
  [0x05f0, 0x05f4],
  [0x061b, 0x061b],
  [0x061f, 0x061f],
  [0x0621, 0x063a],
  [0x0640, 0x064a],
  [0x066d, 0x066f],
  [0x0671, 0x06d5],
  [0x06dd, 0x06dd],
  [0x06e5, 0x06e6],
  [0x06fa, 0x06fe],
  [0x0700, 0x070d],
  [0x0710, 0x0710],
  [0x0712, 0x072c],
  [0x0780, 0x07a5],
  [0x07b1, 0x07b1],
  [0x200f, 0x200f],
  [0xfb1d, 0xfb1d],
  [0xfb1f, 0xfb28],
  [0xfb2a, 0xfb36],
  [0xfb38, 0xfb3c],
  [0xfb3e, 0xfb3e],
  [0xfb40, 0xfb41],
  [0xfb43, 0xfb44],
  [0xfb46, 0xfbb1],
  [0xfbd3, 0xfd3d],
  [0xfd50, 0xfd8f],
  [0xfd92, 0xfdc7],
  [0xfdf0, 0xfdfc],
  [0xfe70, 0xfe74],
  [0xfe76, 0xfefc],
];

/**
 * Approximation of RFC 3454 Table D.2 (LCat): letters and spacing marks of left-to-right scripts.
 * Right-to-left scripts are excluded whole, so that their letters added after Unicode 3.2 (absent
 * from Table D.1) are not mistaken for LCat.
 */
const L_CAT =
  /[[\p{L}\p{Mc}]--[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}]]/v;

const UNASSIGNED = /\p{Cn}/u;

function inRanges(codePoint: number, ranges: Ranges): boolean {
  return ranges.some(([low, high]) => codePoint >= low && codePoint <= high);
}

function isProhibited(codePoint: number): boolean {
  // C.4 also holds the last two code points of every plane: U+xFFFE and U+xFFFF.
  return (codePoint & 0xfffe) === 0xfffe || inRanges(codePoint, PROHIBITED);
}

/**
 * Prepares `input` per RFC 4013 and returns the prepared string (possibly empty; callers decide
 * whether empty is acceptable). Throws SaslprepError on prohibited output, bidi violations and,
 * with `allowUnassigned: false`, unassigned code points.
 */
export function saslprep(input: string, options: SaslprepOptions = {}): string {
  // §2.1 mapping. Iterating a string yields code points, and lone surrogates as themselves.
  let mapped = '';
  for (const char of input) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (inRanges(codePoint, MAPPED_TO_NOTHING)) continue;
    mapped += inRanges(codePoint, NON_ASCII_SPACE) ? ' ' : char;
  }
  // §2.2 normalisation.
  const output = mapped.normalize('NFKC');
  const codePoints = Array.from(output, (char) => char.codePointAt(0) ?? 0);
  // §2.3 prohibited output.
  if (codePoints.some(isProhibited)) {
    throw new SaslprepError('string contains a character prohibited by SASLprep (RFC 4013 §2.3)');
  }
  // §2.5 unassigned code points, refused in stored strings only.
  if (options.allowUnassigned === false && UNASSIGNED.test(output)) {
    throw new SaslprepError('string contains an unassigned code point (RFC 4013 §2.5)');
  }
  // §2.4 / RFC 3454 §6 bidirectional characters.
  const randAl = codePoints.map((codePoint) => inRanges(codePoint, RAND_AL_CAT));
  if (randAl.includes(true)) {
    if (L_CAT.test(output)) {
      throw new SaslprepError('string mixes right-to-left and left-to-right characters (RFC 3454 §6)');
    }
    if (randAl[0] !== true || randAl[randAl.length - 1] !== true) {
      throw new SaslprepError(
        'string with right-to-left characters must start and end with one (RFC 3454 §6)',
      );
    }
  }
  return output;
}
