// The stage graph: a stage starts as soon as the stages it reads from are built, so independent
// stages build at the same time, each in its own thread with its own store connection, lease
// and scratch space (Store is not thread-safe). The first failure, or Ctrl-C, cancels the rest.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "kiln/build/state.hpp"
#include "kiln/store/metadata.hpp"

namespace kiln::build {

namespace {

struct Worker {
  const dockerfile::PlannedStage* stage = nullptr;
  std::unique_ptr<store::Store> store;  // own connection (null: uses the build's)
  std::optional<store::Lease> lease;    // kept until the image is stored
  std::unique_ptr<Trees> trees;
  std::thread thread;
  Status result;
  int cached = 0;
  std::vector<std::string> keys;
  bool done = false;
};

// Blocks SIGINT/SIGTERM (and the other forwarded signals) for the whole build, so that they
// reach a signalfd (a running RUN's, or the scheduler's) instead of killing kiln outright.
class BuildSignals {
 public:
  BuildSignals() {
    sigemptyset(&m_set);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&m_set, s);
    pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
    m_fd = signalfd(-1, &m_set, SFD_NONBLOCK | SFD_CLOEXEC);
  }
  ~BuildSignals() {
    if (m_fd >= 0) close(m_fd);
    pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
  }
  bool interrupted() {
    struct signalfd_siginfo si {};
    bool got = false;
    while (m_fd >= 0 && read(m_fd, &si, sizeof si) == sizeof si) got = true;
    return got;
  }

 private:
  sigset_t m_set{}, m_old{};
  int m_fd = -1;
};

// A stage's environment: the build's, over the store connection, lease and trees it runs on.
BuildEnv stage_env(BuildEnv& env, store::Store& st, store::Lease& lease, Trees& trees) {
  return BuildEnv{st,
                  lease,
                  env.executor,
                  env.opts,
                  env.progress,
                  trees,
                  env.context,
                  env.context_path,
                  env.dockerfile,
                  env.plan,
                  env.finished,
                  env.ids,
                  env.cancelled,
                  0,
                  {},
                  env.now,
                  env.target,
                  env.cache_resets};
}

// The layers other connections made are protected by the build's own lease, before those
// connections' leases go.
Status hand_over_layers(BuildEnv& env, const std::vector<std::unique_ptr<Worker>>& workers) {
  bool handed_over = false;
  for (const auto& w : workers)
    if (w->store)
      for (const auto& l : env.finished.at(static_cast<size_t>(w->stage->index))->layers) {
        env.lease.protect(l.digest);
        handed_over = true;
      }
  if (handed_over) KILN_TRY(env.lease.sync());
  return {};
}

}  // namespace

Status build_stages(BuildEnv& env, const dockerfile::Lexer& lex) {
  BuildSignals signals;
  const auto& stages = env.plan.stages;
  std::vector<std::unique_ptr<Worker>> workers;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<bool> built(env.dockerfile.stages.size(), false), started(built.size(), false);
  bool main_store_busy = false;
  Status first_error;

  auto ready = [&](const dockerfile::PlannedStage& ps) {
    for (int d : ps.deps)
      if (!built.at(static_cast<size_t>(d))) return false;
    return true;
  };
  auto launch = [&](const dockerfile::PlannedStage& ps) -> Status {
    auto w = std::make_unique<Worker>();
    w->stage = &ps;
    store::Store* st = &env.store;
    store::Lease* lease = &env.lease;
    Trees* trees = &env.trees;
    if (main_store_busy) {
      w->store = KILN_TRY(store::Store::open(env.store.root()));
      w->lease.emplace(KILN_TRY(w->store->lease()));
      w->trees = std::make_unique<Trees>(*w->store, *w->lease, env.trees.mode(),
                                         env.trees.scratch_root() + fmt::format("/s{}", ps.index));
      st = w->store.get();
      lease = &*w->lease;
      trees = w->trees.get();
    }
    main_store_busy = true;
    started.at(static_cast<size_t>(ps.index)) = true;
    Worker* raw = w.get();
    workers.push_back(std::move(w));
    raw->thread = std::thread([&, raw, st, lease, trees] {
      BuildEnv local = stage_env(env, *st, *lease, *trees);
      Status r = build_stage(local, *raw->stage, lex);
      std::lock_guard lock(mu);
      raw->result = std::move(r);
      raw->cached = local.cached_steps;
      raw->keys = std::move(local.used_keys);
      raw->done = true;
      cv.notify_all();
    });
    return {};
  };

  size_t finished_count = 0;
  std::unique_lock lock(mu);
  while (finished_count < stages.size()) {
    if (!env.cancelled) {
      for (const auto& ps : stages) {
        if (started.at(static_cast<size_t>(ps.index)) || !ready(ps)) continue;
        if (auto st = launch(ps); !st) {
          env.cancelled = true;
          if (first_error) first_error = st;
        }
      }
    }
    bool running = false;
    for (auto& w : workers) running |= !w->done || w->thread.joinable();
    if (!running) break;  // nothing runs and nothing can start: cancelled
    cv.wait_for(lock, std::chrono::milliseconds(100));
    if (signals.interrupted()) env.cancelled = true;
    for (auto& w : workers) {
      if (!w->done || !w->thread.joinable()) continue;
      w->thread.join();
      ++finished_count;
      env.cached_steps += w->cached;
      env.used_keys.insert(env.used_keys.end(), w->keys.begin(), w->keys.end());
      if (!w->store) main_store_busy = false;
      if (!w->result) {
        env.cancelled = true;
        if (first_error) first_error = w->result;
      } else {
        built.at(static_cast<size_t>(w->stage->index)) = true;
      }
    }
  }
  lock.unlock();
  for (auto& w : workers)
    if (w->thread.joinable()) w->thread.join();
  KILN_TRY(first_error);
  if (env.cancelled) return fail(Errc::cancelled, "interrupted");
  return hand_over_layers(env, workers);
}

}  // namespace kiln::build
