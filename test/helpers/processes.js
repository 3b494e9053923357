'use strict';
// Processes read from /proc (cheap enough to poll every few milliseconds).
const fs = require('node:fs');

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Every process: pid, parent pid, state letter (Z = zombie), command line and CPU ms used so far. */
function processes() {
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [state, ppid] = fields;
      const cpuMs = ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
      const args = fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
      found.push({ pid: Number(name), ppid: Number(ppid), state, args, cpuMs });
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

/** Running (not zombie) processes, anywhere, whose command line contains `text`. */
const processesWith = (text) => processes().filter((p) => p.state !== 'Z' && p.args.includes(text));

module.exports = { processes, childProcesses, commandLinesWith, ffmpegsWith, processesWith };
