/** A state that this engine cannot continue: unknown version, a changed definition, a bad operation. */
export class WorkflowStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkflowStateError";
  }
}
