import type { Command } from "../command";
import { reportCommand } from "./report";
import { setupCommand } from "./setup";

/** Every `oneshot` subcommand, in the order `oneshot --help` lists them. */
export const commands: Command[] = [setupCommand, reportCommand];
