import type { Command } from "../command";
import { setupCommand } from "./setup";
import { verifyCommand } from "./verify";

/** Every `oneshot` subcommand, in the order `oneshot --help` lists them. */
export const commands: Command[] = [setupCommand, verifyCommand];
