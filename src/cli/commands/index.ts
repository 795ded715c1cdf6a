import type { Command } from "../command";
import { runsCommand } from "./runs";
import { setupCommand } from "./setup";
import { stopCommand } from "./stop";

/** Every `oneshot` subcommand, in the order `oneshot --help` lists them. */
export const commands: Command[] = [setupCommand, runsCommand, stopCommand];
