import type { Command } from "../command";
import { openEngineSession } from "../engineSession";
import { createEvalCommand } from "./eval";
import { exportCommand } from "./export";
import { newCommand } from "./new";
import { planCommand } from "./plan";
import { createRankCommand } from "./rank";
import { reportCommand } from "./report";
import { runsCommand } from "./runs";
import { setupCommand } from "./setup";
import { stopCommand } from "./stop";
import { trainCommand } from "./train";
import { tryCommand } from "./try";
import { verifyCommand } from "./verify";

/** Every `oneshot` subcommand, in the order `oneshot --help` lists them. */
export const commands: Command[] = [setupCommand, planCommand, trainCommand, runsCommand, stopCommand, verifyCommand, newCommand, createEvalCommand(openEngineSession), reportCommand, createRankCommand(openEngineSession), tryCommand, exportCommand];
