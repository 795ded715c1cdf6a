// `oneshot train --node-rank R` (R ≥ 1) on the other machines of a several-machine run: torchrun
// with this machine's engine ranks, which join the node-rank 0 machine's rendezvous and take their
// work from its rank 0 (the controller there talks to rank 0 alone). Nothing is written here: the
// node-rank 0 machine's controller owns the run directory. Ends when the run's engine ends.
import { choosePython, engineLaunch, missingPython } from "../core/engine/launch";
import { rankFailureError } from "../core/engine/torchrunFailure";
import { Child } from "../core/process/child";
import type { CliContext } from "./command";
import { UserError } from "./command";
import { topologyFor, type LaunchFlags } from "./launchArgs";
import { defaultVenvDir, engineDir } from "./paths";

export async function runEngineRanks(launch: LaunchFlags, python: string | undefined, root: string, ctx: CliContext): Promise<number> {
  const choice = choosePython(python, ctx.env, defaultVenvDir(root), ctx.cwd);
  const missing = missingPython(choice);
  if (missing) throw new UserError(missing);
  // Without a run's settings, `device` is auto: every visible GPU, or --devices CPU processes.
  const topology = topologyFor({ devices: "auto", device: "auto" }, launch, ctx.env);
  const spec = engineLaunch(choice.python, engineDir(root), ctx.env, topology);
  const { nodeRank, nnodes, rdzvEndpoint } = topology;
  const one = topology.devices === 1;
  ctx.stdout.write(`Machine ${nodeRank} of ${nnodes}: starting ${topology.devices} engine ${one ? "rank" : "ranks"} for the run at ${rdzvEndpoint} (${one ? "it ends" : "they end"} with the run).\n`);
  // No rank here speaks to a controller: nothing reads their stdout.
  const child = Child.spawn({ ...spec, cwd: ctx.cwd, stdout: "ignore", stderr: { lines: 200, onLine: (l) => ctx.stderr.write(`${l}\n`) }, sweep: spec.torchrun?.marker });
  const stop = () => void child.stop();
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, stop);
  try {
    const exit = await child.exited;
    if (exit.spawnError) throw new UserError(`Could not start the engine: ${exit.spawnError.message}`);
    if (exit.code === 0) {
      ctx.stdout.write(`The engine ranks of machine ${nodeRank} ended with the run.\n`);
      return 0;
    }
    const rank = rankFailureError(child.stderrTail, "");
    throw new UserError(rank ? rank.message : `The engine ranks of machine ${nodeRank} ended ${exit.signal ? `by ${exit.signal}` : `with code ${exit.code}`} (torchrun's output is above)`);
  } finally {
    for (const s of signals) process.off(s, stop);
  }
}
