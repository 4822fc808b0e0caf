#include "train/run_start.hpp"

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/framework/trainer.hpp"

namespace bitblock {

StartPoint start_or_resume(const ExperimentConfig& config, const std::string& dir, const OpenedRun& run,
                           int64_t train_samples, Sequential& net, Optimizer& optimizer, RunLog& log) {
  StartPoint start;
  if (!run.checkpoint) {
    write_file_atomic(dir + "/config.yaml", to_yaml(config));
    return start;
  }
  const std::string ckpt_path = dir + "/checkpoint.bbc";
  const Checkpoint& resume_from = *run.checkpoint;
  check_position(resume_from, config.epochs, train_samples, config.batch_size, ckpt_path);
  restore_state(net, &optimizer, resume_from, ckpt_path);
  start.position = resume_from.position;
  optimizer.set_step_count(start.position.optimizer_step);
  start.history = resume_from.history;
  log.line("resuming " + ckpt_path + " at epoch " + std::to_string(start.position.epoch + 1) + ", batch " +
           std::to_string(start.position.next_batch));
  if (resume_from.version == 1)
    log.line("note: " + ckpt_path + " is a version 1 checkpoint (its header has no CRC); the next checkpoint is "
             "written as version " + std::to_string(kCheckpointVersion));
  return start;
}

}  // namespace bitblock
