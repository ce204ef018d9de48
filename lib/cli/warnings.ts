/**
 * What the consumer command warns about before it starts: set-ups that run, but not the way the
 * user expects.
 *
 * @example
 * for (const warning of startWarnings('memory', process.execArgv)) say(io, warning);
 */
export function startWarnings(brokerName: string, execArgv: readonly string[]): string[] {
  const warnings: string[] = [];
  if (brokerName === 'memory') {
    warnings.push(
      'warning: the memory broker lives inside this process: only what this process publishes reaches these consumers, ' +
        'and another process (your app) cannot publish to them. Set MESSAGING_BROKER to kafka, rabbitmq or redis to consume across processes.',
    );
  }
  if (startedByTsxCommand(execArgv)) {
    warnings.push(
      'warning: started by the tsx command, which forwards Ctrl-C to this process and kills it (SIGKILL) when a busy handler ' +
        'delays the answer by 60 ms, cutting the drain short. Run the CLI as node --import tsx <path to eventwire> consumer … instead.',
    );
  }
  return warnings;
}

/**
 * The `tsx` command runs the script in a child process that it starts with its own preflight
 * module; `node --import tsx` runs it in this process, with no parent relaying signals.
 */
function startedByTsxCommand(execArgv: readonly string[]): boolean {
  return execArgv.some((argument) => /[\\/]tsx[\\/]dist[\\/]preflight\.c?js$/.test(argument));
}
