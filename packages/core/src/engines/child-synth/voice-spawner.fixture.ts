// Run by voice-spawner.test.ts in a process of its own: nothing but a program's output keeps this
// process alive while it waits, so it shows whether the spawner holds the process open meanwhile.
import { VoiceSpawner } from './voice-spawner.ts';

const program = new VoiceSpawner().spawn({
  command: 'sh',
  args: ['-c', 'sleep 0.3; echo hello'],
  stdout: true,
});
let text = '';
for await (const chunk of program.stdout ?? []) text += String(chunk);
console.log(text.trim(), (await program.outcome).code);
