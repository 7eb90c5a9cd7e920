// `virt-overhead --no-color`: the same as NO_COLOR for this run and the processes it starts
// (the lab's agents), so every place that asks colorWanted() agrees.
export function disableColor(): void {
  process.env.NO_COLOR = '1';
}
