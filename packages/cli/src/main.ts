/**
 * The `kdrec` command line: parses the verb and its options, runs it, and turns every failure
 * into one line on stderr and a non-zero exit code (2 for usage and config errors, 1 for the rest).
 * @module
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { formatKdrecError, type KdrecError } from "@kdrec/core";
import { KDREC_VERSION } from "@kdrec/experiment";
import * as E from "fp-ts/lib/Either.js";
import { dataSplit, dataStats } from "./data_commands.js";
import { DATASET_HELP, DATASET_OPTIONS } from "./dataset_args.js";
import { type CommandIo, processIo } from "./io.js";
import { reportCommand } from "./report_command.js";
import { runCommand } from "./run_command.js";
import { recommendCommand, serveCommand } from "./serve_commands.js";
import { targetsExport } from "./targets_command.js";
import { updateCommand } from "./update_command.js";

const USAGE = {
  run: `  kdrec run [CONFIG.json] --out DIR [--data-dir DIR] [--seeds N] [--resume | --overwrite]
            [--duplicates refuse|keep-last|keep-all] [--threads N] [--quiet]
      trains the teacher, distils every student, evaluates all on the test split (full ranking),
      prints a table and writes DIR/results.json, DIR/metrics.jsonl, DIR/models/,
      DIR/config.resolved.json (every default filled in, kdrec's version and commit),
      DIR/tensorboard/ (tensorboard --logdir DIR/tensorboard) and DIR/report.html;
      progress: live bars on a terminal, a line per epoch in a log, nothing with --quiet;
      with no CONFIG, a small default experiment on the synthetic data (about half a minute);
      a checkpoint is written after every epoch, and --resume continues an interrupted run
      (refusing a model whose spec changed since its checkpoint); DIR must be new or empty,
      or a previous run with --resume (continue) or --overwrite (replace); --duplicates
      overrides the config's dataset.duplicates (repeated (user, item) rows; default refuse);
      --threads N trains MF's epochs of the task loss (no distillation, fine-tuning) and of
      distillation by soft labels, MSE, ranking, listwise ranking or UnKD (a teacher with a
      score table or MF tables) whole, one kernel call on N threads
      (N > 1: Hogwild — faster, not reproducible run to run; recorded in config.resolved.json);
      without it every model trains step by step, reproducibly
      the config's JSON Schema: docs/kdrec-config.schema.json`,
  "data stats": `  kdrec data stats --format F --path P [--json]
      users, items, interactions, density, rating range, interactions per user, duplicates`,
  "data split": `  kdrec data split --format F --path P --out DIR [--protocol leave-last-out|temporal|random|cold-items]
                   [--valid-ratio R] [--test-ratio R] [--split-seed N] [--fraction F (cold-items: held-out share of items)]
      writes DIR/train.tsv, valid.tsv, test.tsv (user, item, timestamp; original ids) and meta.json`,
  report: `  kdrec report DIR [DIR…] [--out FILE]
      one self-contained HTML page (opens from disk) over run folders: learning curves, test
      quality with 95% intervals, quality against size and scoring time (Pareto front), paired
      tests, resolved configs; default FILE: DIR/report.html (required with several DIRs)`,
  recommend: `  kdrec recommend --model DIR (--user ID | --history ID,ID,…) [--k 10] [--json]
      the top k of a model bundle (DIR/models/<name>-seed<k>/ of a run) by original ids`,
  "targets export": `  kdrec targets export --model DIR --out FILE.parquet [--k 50] [--overwrite]
      a model bundle's top k per user (the user's known items left out) as Parquet rows (user, item,
      score, rank): the layout an external teacher reads ("teacher": {"architecture": "external",
      "path": "FILE.parquet" or a folder of part files}); see docs/teacher-targets.md`,
  update: `  kdrec update --model DIR --events FILE [--columns user=COL,item=COL[,timestamp=COL]]
               [--teacher DIR] --out DIR2 [--epochs 5] [--replay 1] [--overwrite]
      an MF model bundle absorbs new interactions (a delimited or .jsonl file) without retraining:
      new users and items get rows (users folded in by least squares), then a few epochs over the
      events and as many replayed past interactions; with --teacher (an MF bundle of the same run)
      the teacher is refreshed on the events and the student distils from it; writes a new bundle`,
  serve: `  kdrec serve --model DIR [--model DIR…] [--host 127.0.0.1] [--port 8080] [--max-k 100]
      an HTTP service: GET /recommendations?user=ID&k=10[&model=NAME], POST /recommendations
      {"history": [ids…], "k": 10}, GET /models, /healthz, /metrics; --port 0 picks a free port`,
} as const;

/** The text of `kdrec --help`. */
export const HELP = `kdrec ${KDREC_VERSION} — knowledge distillation into lightweight recommenders

usage:
${Object.values(USAGE).join("\n")}
  kdrec COMMAND --help      one command's usage
  kdrec --version

${DATASET_HELP}

examples:
  kdrec run examples/ml-100k/mf-distillation.json --data-dir "$KDREC_DATA_DIR" --seeds 3 --out runs/ml-100k
  kdrec data stats --format ml-100k --path "$KDREC_DATA_DIR/ml-100k"
  kdrec data split --format synthetic --seed 7 --out runs/synthetic-split
  kdrec report runs/ml-100k runs/amazon-mi --out runs/both.html
  kdrec recommend --model runs/quick/models/mf8-soft-label-seed1 --user 1
`;

const COMMANDS = {
  run: {
    options: {
      out: { type: "string" },
      "data-dir": { type: "string" },
      seeds: { type: "string" },
      resume: { type: "boolean" },
      overwrite: { type: "boolean" },
      duplicates: { type: "string" },
      threads: { type: "string" },
      quiet: { type: "boolean" },
    },
    positionals: 1,
    run: runCommand,
  },
  report: { options: { out: { type: "string" } }, positionals: Number.POSITIVE_INFINITY, run: reportCommand },
  "data stats": { options: { ...DATASET_OPTIONS, json: { type: "boolean" } }, positionals: 0, run: dataStats },
  "data split": {
    options: {
      ...DATASET_OPTIONS,
      out: { type: "string" },
      protocol: { type: "string" },
      "valid-ratio": { type: "string" },
      "test-ratio": { type: "string" },
      "split-seed": { type: "string" },
      fraction: { type: "string" },
    },
    positionals: 0,
    run: dataSplit,
  },
  recommend: {
    options: {
      model: { type: "string", multiple: true },
      user: { type: "string" },
      history: { type: "string" },
      k: { type: "string" },
      json: { type: "boolean" },
    },
    positionals: 0,
    run: recommendCommand,
  },
  update: {
    options: {
      model: { type: "string", multiple: true },
      events: { type: "string" },
      columns: { type: "string" },
      teacher: { type: "string" },
      out: { type: "string" },
      epochs: { type: "string" },
      replay: { type: "string" },
      overwrite: { type: "boolean" },
    },
    positionals: 0,
    run: updateCommand,
  },
  "targets export": {
    options: {
      model: { type: "string", multiple: true },
      out: { type: "string" },
      k: { type: "string" },
      overwrite: { type: "boolean" },
    },
    positionals: 0,
    run: targetsExport,
  },
  serve: {
    options: {
      model: { type: "string", multiple: true },
      host: { type: "string" },
      port: { type: "string" },
      "max-k": { type: "string" },
    },
    positionals: 0,
    run: serveCommand,
  },
} as const;

const fail = (io: CommandIo, error: KdrecError | string, code: number): number => {
  io.err(`kdrec: error: ${typeof error === "string" ? error : formatKdrecError(error)}\n`);
  return code;
};

/**
 * What a thrown error means to the user, in one line: a failed system call (a full disk, a folder
 * made read-only mid-run) names its path and code; anything else is a bug in kdrec, whose stack
 * `KDREC_DEBUG=1` prints.
 */
const unexpected = (error: unknown, command: string): string => {
  const system = error as NodeJS.ErrnoException;
  if (error instanceof Error && typeof system.code === "string" && typeof system.syscall === "string") {
    const what = system.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "");
    const hint = command === "run" ? "; the run's checkpoints are kept: fix this, then run again with --resume" : "";
    return `${system.path ?? system.syscall}: ${what} (${system.syscall})${hint}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (process.env.KDREC_DEBUG === "1" && error instanceof Error) return `internal error: ${error.stack}`;
  return `internal error: ${message.split("\n")[0]!.slice(0, 200)} (a bug in kdrec: please report it; KDREC_DEBUG=1 prints its stack)`;
};

/**
 * Runs `kdrec` with `argv` (without the node and script paths) and returns the exit code.
 * @example
 * ```ts
 * const code = await main(["data", "stats", "--format", "synthetic"]);
 * ```
 */
export const main = async (argv: ReadonlyArray<string>, io: CommandIo = processIo()): Promise<number> => {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.out(HELP);
    return 0;
  }
  if (argv[0] === "--version" || argv[0] === "-v") {
    io.out(`kdrec ${KDREC_VERSION}\n`);
    return 0;
  }
  if (argv[0] === "data" && (argv[1] === undefined || argv[1] === "--help" || argv[1] === "-h")) {
    io.out(`usage:\n${USAGE["data stats"]}\n${USAGE["data split"]}\n\n${DATASET_HELP}\n`);
    return 0;
  }
  if (argv[0] === "targets" && (argv[1] === undefined || argv[1] === "--help" || argv[1] === "-h")) {
    io.out(`usage:\n${USAGE["targets export"]}\n`);
    return 0;
  }
  // Two-word commands: `data stats`, `data split`, `targets export`.
  const name = argv[0] === "data" || argv[0] === "targets" ? argv.slice(0, 2).join(" ") : (argv[0] ?? "");
  const command = COMMANDS[name as keyof typeof COMMANDS];
  if (command === undefined)
    return fail(io, `unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")}; see kdrec --help)`, 2);
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(`usage:\n${USAGE[name as keyof typeof USAGE]}\n${name.startsWith("data") ? `\n${DATASET_HELP}\n` : ""}`);
    return 0;
  }
  let values: Record<string, string | ReadonlyArray<string> | boolean | undefined>;
  try {
    const options: ParseArgsConfig["options"] = command.options;
    const parsed = parseArgs({
      args: [...argv.slice(name.split(" ").length)],
      options,
      strict: true,
      allowPositionals: command.positionals > 0,
    });
    if (parsed.positionals.length > command.positionals)
      throw new Error(`unexpected argument "${parsed.positionals[command.positionals]}"`);
    values = {
      ...parsed.values,
      ...(parsed.positionals[0] === undefined ? {} : { config: parsed.positionals[0] }),
      paths: parsed.positionals,
    } as typeof values;
  } catch (error) {
    return fail(io, `${(error as Error).message} (see kdrec --help)`, 2);
  }
  // parseArgs checked every option against the command's declarations above.
  let result: Awaited<ReturnType<typeof command.run>>;
  try {
    result = await command.run(values as Parameters<typeof command.run>[0], io);
  } catch (error) {
    return fail(io, unexpected(error, name), 1);
  }
  if (E.isRight(result)) return 0;
  const usageError = result.left.code === "INVALID_ARGUMENT" || result.left.code === "INVALID_CONFIG";
  return fail(io, result.left, usageError ? 2 : 1);
};
