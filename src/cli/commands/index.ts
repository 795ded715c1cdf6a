import type { Command } from "../command";
import { runsCommand } from "./runs";
import { setupCommand } from "./setup";
import { stopCommand } from "./stop";
import { trainCommand } from "./train";
import { verifyCommand } from "./verify";

/** Every `oneshot` subcommand, in the order `oneshot --help` lists them. */
export const commands: Command[] = [setupCommand, trainCommand, runsCommand, stopCommand, verifyCommand];
