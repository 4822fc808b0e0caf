#include "bitblock/framework/trainer.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/run_files.hpp"
#include "bitblock/framework/run_folder.hpp"
#include "bitblock/framework/schedule.hpp"
#include "bitblock/framework/weight_matrix.hpp"
#include "bitblock/framework/batch_source.hpp"
#include "bitblock/framework/core_watch.hpp"
#include "train/batch_order.hpp"
#include "train/finish_run.hpp"
#include "train/progress.hpp"
#include "train/run_start.hpp"
#include "train/start_check.hpp"
#include "train/step.hpp"

namespace bitblock {

namespace {

std::atomic<bool> g_interrupt{false};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One log line: which weight layers train on their kept blocks, rows, columns or elements only,
// which dense (masked); then one line per kept-path layer naming what runs its products
// (on a GPU, the per-shape choice among the verified implementations).
std::string kernel_summary(Sequential& net, const std::string& choice) {
  std::vector<std::pair<std::string, std::string>> groups;  // (path, layer list) in first-seen order
  std::string detail;
  for (size_t i = 0; i < net.size(); ++i) {
    const WeightMatrix* w = net.layer(i).weights();
    if (!w) continue;
    const KeptUnit u = w->kept_unit();
    const std::string path = u == KeptUnit::None ? "dense" : std::string("kept ") + to_string(u) + "s";
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == path; });
    if (it == groups.end()) it = groups.insert(groups.end(), {path, ""});
    it->second += (it->second.empty() ? "" : ", ") + std::to_string(i);
    if (u != KeptUnit::None)
      detail += "\n  layer " + std::to_string(i) + ": " + w->kept_kernels();
  }
  std::string out = "kernels (" + choice + "):";
  for (size_t g = 0; g < groups.size(); ++g)
    out += (g ? "; " : " ") + groups[g].first + " for layers " + groups[g].second;
  return out + detail;
}

}  // namespace

void request_interrupt() { g_interrupt.store(true); }
bool interrupt_requested() { return g_interrupt.load(); }

int set_threads(int threads) {
  int n = threads > 0 ? threads : omp_get_num_procs();
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
  return n;
}

void collect_state(Sequential& net, Optimizer* optimizer, Checkpoint& out) {
  out.tensors.clear();
  out.masks.clear();
  // Host copies: a checkpoint does not depend on the device the model trains on.
  for (const Param& p : net.params()) out.tensors.emplace_back("param." + p.name, p.value->to(host_context()));
  for (const Buffer& b : net.buffers()) out.tensors.emplace_back("buffer." + b.name, b.value->to(host_context()));
  if (optimizer)
    for (const Buffer& b : optimizer->state()) out.tensors.emplace_back("optim." + b.name, b.value->to(host_context()));
  for (size_t i = 0; i < net.size(); ++i)
    if (WeightConstraint* c = net.layer(i).constraint()) out.masks.emplace_back(std::to_string(i), c->mask());
}

void restore_state(Sequential& net, Optimizer* optimizer, const Checkpoint& in, const std::string& path) {
  std::map<std::string, const Tensor*> tensors;
  for (const auto& [name, t] : in.tensors) tensors[name] = &t;
  auto take = [&](const std::string& name, Tensor& dst) {
    auto it = tensors.find(name);
    if (it == tensors.end()) fail_input(path, "checkpoint has no tensor '" + name + "' (different model?)");
    if (it->second->shape() != dst.shape())
      fail_input(path, "tensor '" + name + "' has shape " + shape_str(it->second->shape()) + ", the model needs " +
                           shape_str(dst.shape()));
    dst.copy_from(*it->second);  // onto the model's device
  };
  for (const Param& p : net.params()) take("param." + p.name, *p.value);
  for (const Buffer& b : net.buffers()) take("buffer." + b.name, *b.value);
  if (optimizer)
    for (const Buffer& b : optimizer->state()) take("optim." + b.name, *b.value);
  std::map<std::string, const std::vector<uint8_t>*> masks;
  for (const auto& [name, m] : in.masks) masks[name] = &m;
  for (size_t i = 0; i < net.size(); ++i) {
    WeightConstraint* c = net.layer(i).constraint();
    if (!c) continue;
    auto it = masks.find(std::to_string(i));
    if (it == masks.end()) fail_input(path, "checkpoint has no mask for layer " + std::to_string(i));
    validate_mask(c->spec(), c->rows(), c->cols(), *it->second, path + ": mask of layer " + std::to_string(i));
    c->set_mask(*it->second);
  }
}

RestoredRun restore_run(const std::string& checkpoint_path, const std::string& data_dir, Device device) {
  RestoredRun r;
  r.checkpoint = load_checkpoint(checkpoint_path);
  r.config = parse_config(r.checkpoint.config_yaml, checkpoint_path);
  r.data = load_dataset(r.config.dataset, data_dir);
  check_position(r.checkpoint, r.config.epochs, r.data.train.size(), r.config.batch_size, checkpoint_path);
  const Dataset& t = r.data.test;
  r.net = build_model(r.config, {{t.channels, t.height, t.width}, t.num_classes}, device);
  restore_state(r.net, nullptr, r.checkpoint, checkpoint_path);
  return r;
}

Sequential host_copy(Sequential& net, const ExperimentConfig& config, const ModelInput& input) {
  Checkpoint state;
  collect_state(net, nullptr, state);
  Sequential host = build_model(config, input, Device::Cpu);
  restore_state(host, nullptr, state, "the trained network");
  return host;
}

namespace {

// Loss and accuracy over the first n samples of a batch source's data set, in order.
EvalResult evaluate_batches(Sequential& net, BatchSource& batches, int64_t n, LossKind loss_kind, int batch_size) {
  Array<kernels::LossStats> totals(1, net.context());
  Context ctx;
  ctx.training = false;
  std::vector<int64_t> idx(static_cast<size_t>(batch_size));
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t b = std::min<int64_t>(batch_size, n - start);
    std::iota(idx.begin(), idx.begin() + b, start);
    batches.prepare(idx.data(), b, nullptr);
    batches.gather();
    const Tensor logits = net.forward(batches.x(), ctx);
    ops::loss(loss_kind, logits, batches.labels(), nullptr, totals);
  }
  const kernels::LossStats t = totals.to_vector()[0];
  EvalResult r;
  r.samples = n;
  r.loss = n ? t.loss_sum / double(n) : 0.0;
  r.accuracy = n ? double(t.correct) / double(n) : 0.0;
  return r;
}

}  // namespace

EvalResult evaluate(Sequential& net, const Dataset& data, const ExperimentConfig& config, int batch_size) {
  BatchSource batches(data, {config.norm_mean, config.norm_std}, Augmentation{}, batch_size, net.context());
  return evaluate_batches(net, batches, data.size(), config.loss, batch_size);
}

namespace {

// The run itself, in a folder open_run_folder has prepared; `run.checkpoint` set: resume it.
// The epoch loop: batches, progress lines, the checkpoint after each epoch and on interruption,
// the NaN guard; the start (run_start), the lines (progress) and the end (finish_run) are apart.
TrainOutcome train_in_folder(const ExperimentConfig& config, const TrainOptions& opt, const std::string& dir,
                             const OpenedRun& run, const DataSplits& data, Device device, RunLog& log) {
  TrainOutcome outcome;
  outcome.out_dir = dir;
  const std::string ckpt_path = dir + "/checkpoint.bbc";
  const int threads = set_threads(opt.threads);

  ModelInput input{{data.train.channels, data.train.height, data.train.width}, data.train.num_classes};
  Sequential net = build_model(config, input, device);
  Optimizer optimizer(optimizer_settings(config), net.params());
  const ScheduleSettings schedule = schedule_settings(config);

  StartPoint start = start_or_resume(config, dir, run, data.train.size(), net, optimizer, log);
  TrainPosition pos = start.position;
  outcome.history = std::move(start.history);
  log.line(run_line(dir, config, data, threads, device));

  std::string kernels_logged = kernel_summary(net, to_string(config.kernels));
  log.line(kernels_logged);

  // Writes the checkpoint of position p, unless the state holds a value no good run has (NaN,
  // an infinity, a negative variance): then the last good checkpoint stays and the problem is
  // returned.
  auto save = [&](const TrainPosition& p) -> std::string {
    Checkpoint c;
    c.config_yaml = to_yaml(config);
    c.position = p;
    c.position.optimizer_step = optimizer.step_count();
    c.history = outcome.history;
    collect_state(net, &optimizer, c);
    if (std::string problem = state_problem(c); !problem.empty()) return problem;
    save_checkpoint(c, ckpt_path);
    return "";
  };
  auto diverged = [&](const std::string& what) {
    log.error(diverged_line(what, ckpt_path));
    outcome.status = TrainStatus::Diverged;
    return outcome;
  };
  auto in_epoch = [](int epoch) { return " in epoch " + std::to_string(epoch + 1); };

  const Dataset& train_set = data.train;
  const int64_t n = train_set.size();
  const int64_t batches = (n + config.batch_size - 1) / config.batch_size;
  BatchSource batch_source(train_set, {config.norm_mean, config.norm_std}, {config.crop_padding, config.hflip},
                           config.batch_size, net.context());
  TrainStep step(net, optimizer, batch_source, config.loss, config.batch_size);
  BatchSource test_batches(data.test, {config.norm_mean, config.norm_std}, Augmentation{}, config.eval_batch_size,
                           net.context());
  int64_t batches_run = 0;
  CoreWatch cores(threads);
  const auto run_start = Clock::now();
  int64_t samples_this_session = 0;

  for (int epoch = pos.epoch; epoch < config.epochs; ++epoch) {
    if (pos.next_batch == 0) {
      net.begin_epoch(epoch);
      pos.loss_sum = 0.0;
      pos.correct = pos.seen = 0;
      pos.seconds = 0.0;
    }
    step.set_totals({pos.loss_sum, pos.correct, pos.seen, 0.0});
    const double lr = scheduled_lr(schedule, epoch, config.optimizer.lr);
    const std::vector<int64_t> order = epoch_order(config.seed, epoch, n);
    auto epoch_t0 = Clock::now();
    const double seconds_before = pos.seconds;
    for (int64_t b = pos.next_batch; b < batches; ++b) {
      const int64_t start_sample = b * config.batch_size;
      const int64_t bs = std::min<int64_t>(config.batch_size, n - start_sample);
      step.run(order.data() + start_sample, bs, Rng(batch_seed(config.seed, epoch, b)), lr);
      samples_this_session += bs;
      ++batches_run;
      if (const std::string line = cores.tick(); !line.empty()) log.line(line);

      const bool stop = interrupt_requested() || (opt.stop_after_batches >= 0 && batches_run >= opt.stop_after_batches);
      const bool log_now = (b + 1) % config.log_every == 0 || b + 1 == batches || stop;
      // The totals are read where they are free (the CPU: every batch) or when a line is due.
      if (!step.totals_on_host() && !log_now) continue;
      const kernels::LossStats totals = step.totals();
      pos.loss_sum = totals.loss_sum;
      pos.correct = totals.correct;
      pos.seen = totals.seen;
      pos.seconds = seconds_before + seconds_since(epoch_t0);
      const double checked = step.totals_on_host() ? totals.last_loss : totals.loss_sum;
      if (!std::isfinite(checked))
        return diverged("loss is " + std::string(std::isnan(checked) ? "NaN" : "Inf") +
                        (step.totals_on_host() ? " at" : " by") + " epoch " + std::to_string(epoch + 1) + ", batch " +
                        std::to_string(b + 1));
      if (log_now) {
        const double sps = double(samples_this_session) / std::max(1e-9, seconds_since(run_start));
        const double left_samples = double(n - pos.seen) + double(config.epochs - epoch - 1) * double(n);
        log.line(batch_line(epoch, config.epochs, b + 1, batches, pos, lr, sps, left_samples));
      }
      if (stop) {
        step.end_epoch();
        TrainPosition p = pos;
        p.epoch = epoch;
        p.next_batch = b + 1;
        if (const std::string problem = save(p); !problem.empty()) return diverged(problem + in_epoch(epoch));
        log.line("interrupted: checkpoint written to " + ckpt_path + " (continue with --resume)");
        outcome.status = TrainStatus::Interrupted;
        return outcome;
      }
    }
    step.end_epoch();
    EvalResult test = evaluate_batches(net, test_batches, data.test.size(), config.loss, config.eval_batch_size);
    if (!std::isfinite(test.loss))
      return diverged("the test loss is " + std::string(std::isnan(test.loss) ? "NaN" : "Inf") + in_epoch(epoch));
    // A GPU picks its kept-path products' implementations at the first step of each batch size.
    if (const std::string now = kernel_summary(net, to_string(config.kernels)); now != kernels_logged) {
      log.line(now);
      kernels_logged = now;
    }
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.lr = lr;
    m.train_loss = pos.loss_sum / double(pos.seen);
    m.train_acc = double(pos.correct) / double(pos.seen);
    m.test_loss = test.loss;
    m.test_acc = test.accuracy;
    m.seconds = pos.seconds;
    m.samples_per_s = double(n) / std::max(1e-9, pos.seconds);
    outcome.history.push_back(m);
    log.line(epoch_line(m, config.epochs));
    pos = TrainPosition{};
    pos.epoch = epoch + 1;
    if (const std::string problem = save(pos); !problem.empty()) return diverged(problem + in_epoch(epoch));
    write_metrics_csv(dir + "/metrics.csv", outcome.history);
    plot_training_curves(dir + "/metrics.csv", dir + "/curves.png");
  }

  finish_run(net, config, input, data, dir, log, outcome);
  outcome.status = TrainStatus::Finished;
  return outcome;
}

}  // namespace

TrainOutcome train(const ExperimentConfig& config, const TrainOptions& opt) {
  const std::string dir =
      opt.out_dir.empty() ? "runs/" + (config.name.empty() ? std::string("run") : config.name) : opt.out_dir;
  // The device is known before anything is written: a missing GPU leaves no folder behind.
  std::string device_note;
  const Device device =
      opt.device.empty()
          ? resolve_device(config.device, config.source + ": key train.device", &device_note)
          : resolve_device(parse_device(opt.device, "--device"), "--device", &device_note);
  // The data (and for --restart a first training step) before the folder is touched: a bad
  // --data-dir or batch size leaves the previous run where it was.
  const DataSplits data = load_dataset(config.dataset, opt.data_dir);
  if (opt.start == RunStart::Restart) {
    set_threads(opt.threads);
    check_run_starts(config, data, device);
  }
  const OpenedRun run = open_run_folder(dir, opt.start, config);
  RunLog log(dir + "/log", opt.quiet);
  for (const std::string& note : run.notes) log.line(note);
  if (!device_note.empty()) log.line(device_note);
  try {
    // A resumed run continues under the config it started with (equal settings, its own source).
    return train_in_folder(run.config ? *run.config : config, opt, dir, run, data, device, log);
  } catch (const InputError& e) {
    // A full disk, a damaged data file, ...: the log keeps the reason next to the progress lines
    // it ends (the CLI prints it on stderr).
    log.note(std::string("error: ") + e.what());
    throw;
  }
}

}  // namespace bitblock
