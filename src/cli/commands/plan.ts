import { parseArgs } from "node:util";
import { resolveConfig } from "../../core/example/index";
import { PLAN_REFUSED_EXIT_CODE, planForSettings } from "../../core/plan/index";
import type { Command } from "../command";
import { UsageError, UserError } from "../command";
import { projectRoot } from "../paths";
import { LAUNCH_OPTIONS, planFlags, runPlanRanks } from "../launchArgs";
import { glueNegativeValues, gpuMemoryOption } from "../trainArgs";
import { readExampleFile } from "../trainPrepare";

const USAGE = `Usage: oneshot plan EXAMPLE.rlvr.md [options]

Estimates what one training step of EXAMPLE needs on this machine's GPU (or the size given):
memory per phase (rollouts, training, optimizer step), the peak, the step time, and what the
\`auto\` settings become (optimizer_state, rollout_wave_size) and how many layers are
checkpointed. Nothing is loaded: the model's shape comes from its config.json (its folder, the
Hugging Face cache, or a built-in table of the Qwen2.5 models).

  --preset P         paper | local | lora | cpu-demo (as oneshot train)
  --set KEY=VALUE    override a setting (repeatable), as oneshot train
  --gpu-memory GB    plan for a card of GB gigabytes (default: the first GPU nvidia-smi
                     lists, else the CPU with this machine's memory)
  --devices N|auto   plan for N engine processes, one GPU each (default: the \`devices\`
                     setting; auto = this machine's visible GPUs): FSDP2 shards the
                     fp32 weights, gradients and moments N ways, each process holds the
                     full weights and its share of the rollouts
  --nnodes M         … on M machines of N GPUs each
  --json             print the plan as JSON (keys documented in docs/training.md)

Exit codes: 0 the step fits; ${PLAN_REFUSED_EXIT_CODE} it does not (the last line names settings that
would fit); 1 no plan could be made (an error in the file or settings, the model's config.json
not on this machine); 2 a usage error.`;

export const planCommand: Command = {
  name: "plan",
  summary: "Estimate a run's GPU memory and step time before it starts",
  usage: USAGE,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args: glueNegativeValues(args, ["--set", "--gpu-memory", "--devices", "--nnodes"]),
      allowPositionals: true,
      options: {
        preset: { type: "string" },
        set: { type: "string", multiple: true },
        "gpu-memory": { type: "string" },
        json: { type: "boolean", default: false },
        devices: LAUNCH_OPTIONS.devices,
        nnodes: LAUNCH_OPTIONS.nnodes,
      },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length ? "give exactly one example file" : "give the example file to plan, e.g. oneshot plan examples/pipe.rlvr.md");
    const gpuMemoryGb = gpuMemoryOption(values["gpu-memory"]);
    const launch = planFlags(values);
    const example = readExampleFile(positionals[0], ctx);
    const resolved = resolveConfig({ example, runId: "plan", projectRoot: projectRoot(ctx.installDir), cwd: ctx.cwd, preset: values.preset, sets: values.set, env: ctx.env });
    if (!resolved.config) throw new UserError(resolved.errors.length === 1 ? resolved.errors[0] : `the settings have ${resolved.errors.length} errors:\n  ${resolved.errors.join("\n  ")}`);
    const ranks = runPlanRanks(resolved.config.settings, launch, ctx.env);
    const out = planForSettings({ settings: resolved.config.settings, problem: resolved.config.example.problem, gpuMemoryGb, env: ctx.env, ranks });
    if (!out.ok) throw new UserError(out.error);
    ctx.stdout.write(values.json ? JSON.stringify(out.json, null, 2) + "\n" : out.text + "\n");
    return out.plan.fits ? 0 : PLAN_REFUSED_EXIT_CODE;
  },
};
