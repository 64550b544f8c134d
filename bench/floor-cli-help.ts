// The floor of `jami-link --help`: node, commander loaded as jami-link loads it, and a help text printed, with
// nothing of ours.
//   node dist/bench/floor-cli-help.js

import { Command } from 'commander';

new Command('floor').description('the floor of a CLI built on commander').option('--bus <bus>', 'a bus').parse(['--help'], { from: 'user' });
