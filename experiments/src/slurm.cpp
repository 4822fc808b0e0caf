// `bitblock sweep --emit slurm`: the sweep as a Slurm job array (one grid point per task), a report
// job, and the script that submits both.
#include "bitblock/experiments/slurm.hpp"

#include "bitblock/framework/config.hpp"

namespace bitblock::experiments {

namespace {

// Single-quoted for the shell.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

bool sweep_wants_gpu(const std::vector<GridPoint>& points, const SweepOptions& opt) {
  if (!opt.device.empty()) return opt.device == "cuda";
  for (const GridPoint& p : points)
    if (p.invalid.empty() && parse_config(p.config_yaml, p.name, {}).device == DeviceRequest::Cuda) return true;
  return false;
}

SlurmScripts slurm_scripts(const SweepSpec& spec, const std::string& sweep_file, int num_points, const SweepOptions& opt,
                           const std::vector<std::string>& sets, bool gpu, const std::string& workdir,
                           const std::string& script_dir) {
  const int cpus = opt.threads > 0 ? opt.threads : 4;
  const std::string dir = sweep_dir(spec, opt);
  SlurmScripts out;
  std::string& a = out.array;
  a += "#!/bin/bash\n";
  a += "#SBATCH --job-name=bitblock-" + spec.name + "\n";
  a += "#SBATCH --array=0-" + std::to_string(num_points - 1) + "\n";
  a += "#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n";
  if (gpu) a += "#SBATCH --gres=gpu:1\n";
  // Preempted or on a failed node, the task goes back to the queue and resumes its checkpoint;
  // its log keeps every attempt.
  a += "#SBATCH --requeue\n";
  a += "#SBATCH --open-mode=append\n";
  a += "#SBATCH --output=" + dir + "/slurm-%A_%a.out\n";
  a += "# bitblock sweep '" + spec.name + "' as a Slurm job array: one grid point per array task, each\n";
  a += "# writing its own run folder under " + dir + "/. A task that is requeued, or\n";
  a += "# submitted again, resumes its run from the checkpoint; a finished run is skipped.\n";
  a += "# Submit it with the report job after it: bash " + script_dir + "/submit.sh\n";
  a += "set -euo pipefail\n";
  a += "cd " + quoted(workdir) + "\n";
  // exec: bitblock is the batch step's process, so signals meant for the batch shell alone
  // (scancel --batch, --signal=B:...) reach it, and its exit code is the task's.
  a += "exec " + quoted(opt.binary) + " sweep --config " + quoted(sweep_file) +
       " --only \"$SLURM_ARRAY_TASK_ID\" --runs-dir " + quoted(opt.runs_dir) + " --data-dir " + quoted(opt.data_dir) +
       " --threads \"$SLURM_CPUS_PER_TASK\"";
  if (gpu || !opt.device.empty()) a += " --device " + std::string(gpu ? "cuda" : opt.device);
  for (const std::string& o : sets) a += " --set " + quoted(o);
  for (const std::string& f : opt.export_formats) a += " --export " + f;
  a += "\n";

  std::string& r = out.report;
  r += "#!/bin/bash\n";
  r += "#SBATCH --job-name=bitblock-" + spec.name + "-report\n";
  r += "#SBATCH --cpus-per-task=1\n";
  r += "#SBATCH --output=" + dir + "/slurm-report-%j.out\n";
  r += "# After the array (submit.sh makes it depend on it): results.csv and report.md of every\n";
  r += "# finished run in " + dir + "/.\n";
  r += "set -euo pipefail\n";
  r += "cd " + quoted(workdir) + "\n";
  r += "exec " + quoted(opt.binary) + " report --rebuild " + quoted(dir) + "\n";

  std::string& s = out.submit;
  s += "#!/bin/bash\n";
  s += "# Submits the array of sweep '" + spec.name + "' and, once every task has ended (afterany),\n";
  s += "# the report job. Arguments go to the array's sbatch, e.g. --array=0-3 --partition=long.\n";
  s += "set -euo pipefail\n";
  s += "array=$(sbatch --parsable \"$@\" " + quoted(script_dir + "/sweep.sbatch") + ")\n";
  s += "array=${array%%;*}\n";  // --parsable prints "id;cluster" on multi-cluster setups
  s += "report=$(sbatch --parsable --dependency=afterany:\"$array\" " + quoted(script_dir + "/report.sbatch") + ")\n";
  s += "report=${report%%;*}\n";
  s += "echo \"array job $array, report job $report (after it): " + dir + "/report.md\"\n";
  return out;
}

}  // namespace bitblock::experiments
