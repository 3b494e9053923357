'use strict';
// This test process's children, read from /proc (cheap enough to poll every few milliseconds).
const fs = require('node:fs');

/** Direct children of this process: pid, state letter (Z = zombie) and command line. */
function childProcesses() {
  const children = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid) continue;
      const args = fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
      children.push({ pid: Number(name), state, args });
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** Command lines of any process on the machine that contain `text`. */
function commandLinesWith(text) {
  const found = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ');
      if (args.includes(text)) found.push(args);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Running ffmpeg children whose command line mentions `marker`. */
const ffmpegsWith = (marker) => childProcesses().filter((c) => c.state !== 'Z' && /(^|\/)ffmpeg /.test(c.args) && c.args.includes(marker));

module.exports = { childProcesses, commandLinesWith, ffmpegsWith };
