/** Thrown while compiling a model the engine cannot run: the message names the op or attribute. */
export class UnsupportedModel extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnsupportedModel';
  }
}
