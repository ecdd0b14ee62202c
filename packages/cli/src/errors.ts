/** A user-facing error: printed as one line on stderr, exit status 2, no stack trace. */
export class CliError extends Error {
  /** Where the problem is (a flag, a file, `file:line`), or undefined. */
  readonly where: string | undefined;

  constructor(message: string, where?: string) {
    super(message);
    this.name = 'CliError';
    this.where = where;
  }

  /** The one line printed on stderr. */
  line(): string {
    return `viommu: ${this.where ? `${this.where}: ` : ''}${this.message}`;
  }
}
