// Errors the CLI reports as one clear line with exit code 2 (bad usage or unreadable input).
export class UsageError extends Error {
  /**
   * The command whose usage was wrong: the message is followed by `see 'backplan COMMAND --help'`
   * (an empty string: `see 'backplan --help'`). Undefined for unreadable input, where a hint would
   * not help.
   */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}
