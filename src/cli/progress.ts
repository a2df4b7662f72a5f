/**
 * Progress of a long step, on stderr (stdout stays for results and --json). On a
 * terminal the current step is one line, rewritten in place with its elapsed time;
 * elsewhere (a log, CI) each step is one plain line, written once, never repeated.
 */
export interface Progress {
  /** A new step, or a changed state of the one waited on. Repeating the same text does nothing. */
  step(text: string): void;
  /** Ends the current line (on a terminal) before the command prints its result. */
  done(): void;
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let current: string | undefined;
  let since = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => stream.write(`\r\x1b[K${current} (${Math.round((Date.now() - since) / 1000)} s)`);
  return {
    step(text) {
      if (text === current) return;
      if (!tty) {
        current = text;
        stream.write(`${text}\n`);
        return;
      }
      if (current !== undefined) stream.write('\n');
      current = text;
      since = Date.now();
      draw();
      timer ??= setInterval(draw, 1000).unref();
    },
    done() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (tty && current !== undefined) stream.write('\n');
      current = undefined;
    },
  };
}
