'use strict';
// Processes read from /proc (cheap enough to poll every few milliseconds).
const fs = require('node:fs');

/** Every process: pid, parent pid, state letter (Z = zombie) and command line. */
function processes() {
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const args = fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
      found.push({ pid: Number(name), ppid: Number(ppid), state, args });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Direct children of this process. */
const childProcesses = () => processes().filter((p) => p.ppid === process.pid);

/** Command lines of any process on the machine that contain `text`. */
const commandLinesWith = (text) => processes().map((p) => p.args).filter((args) => args.includes(text));

/** Running ffmpeg children whose command line mentions `marker`. */
const ffmpegsWith = (marker) => childProcesses().filter((c) => c.state !== 'Z' && /(^|\/)ffmpeg /.test(c.args) && c.args.includes(marker));

module.exports = { childProcesses, commandLinesWith, ffmpegsWith };
