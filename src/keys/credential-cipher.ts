import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/** Format tag of sealed values, so a future scheme can be told apart. */
const version = 'v1';
/** Fixed salt: the key must be derivable again from the same secret on every start. */
const salt = 'switchboard/provider-credentials/v1';

/**
 * Seals provider credentials at rest with AES-256-GCM. The 256-bit key is derived with scrypt
 * from SWITCHBOARD_ENCRYPTION_KEY, or from the master key when no separate key is set (scrypt,
 * not a plain hash, because a master key may be a human-chosen password). Each value gets a
 * random 96-bit IV; the record's id is authenticated as associated data, so a sealed value
 * copied onto another record does not open.
 */
export class CredentialCipher {
  readonly #secret: string;
  #derived: Buffer | undefined;

  constructor(secret: string) {
    if (secret.length === 0) throw new Error('CredentialCipher: the secret is empty');
    this.#secret = secret;
  }

  /** Derived on first use: a gateway without runtime providers never pays for scrypt. */
  get #key(): Buffer {
    return (this.#derived ??= scryptSync(this.#secret, salt, 32, { N: 16384, r: 8, p: 1 }));
  }

  /** `v1:<base64 of iv | tag | ciphertext>`. */
  seal(plaintext: string, associated: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associated, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${version}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  /** Throws when the value was sealed with another key, for another record, or altered. */
  open(sealed: string, associated: string): string {
    if (!sealed.startsWith(`${version}:`)) throw new Error('unknown sealed-value format');
    const bytes = Buffer.from(sealed.slice(version.length + 1), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(associated, 'utf8'));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }
}
