// The stage graph: a stage starts as soon as the stages it reads from are built, so independent
// stages build at the same time, each in its own thread with its own store connection, lease
// and scratch space (Store is not thread-safe). The first failure, or Ctrl-C, cancels the rest.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "kiln/builder/state.hpp"
#include "kiln/store/metadata.hpp"

namespace kiln::builder {

namespace {

struct Worker {
  const dockerfile::PlannedStage* stage = nullptr;
  std::unique_ptr<store::Store> store;  // own connection (null: uses the build's)
  std::optional<store::Lease> lease;    // kept until the image is stored
  std::unique_ptr<Trees> trees;
  std::jthread thread;
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
        if (l.digest.empty()) continue;  // still being made: LayerJobs::finish protects it
        env.lease.protect(l.digest);
        handed_over = true;
      }
  if (handed_over) KILN_TRY(env.lease.sync());
  return {};
}

// Starts stages as their dependencies finish and collects their results. Everything but
// the workers' own BuildEnv is touched under m_mu, on the scheduling thread.
class Scheduler {
 public:
  Scheduler(BuildEnv& env, const dockerfile::Lexer& lex)
      : m_env(env),
        m_lex(lex),
        m_built(env.dockerfile.stages.size(), false),
        m_started(m_built.size(), false) {}

  Status run() {
    BuildSignals signals;
    size_t finished = 0;
    std::unique_lock lock(m_mu);
    while (finished < m_env.plan.stages.size()) {
      if (!m_env.cancelled) start_ready();
      bool running = false;
      for (auto& w : m_workers) running |= !w->done || w->thread.joinable();
      if (!running) break;  // nothing runs and nothing can start: cancelled
      m_cv.wait_for(lock, std::chrono::milliseconds(100));
      if (signals.interrupted()) m_env.cancelled = true;
      finished += reap();
    }
    lock.unlock();
    for (auto& w : m_workers)
      if (w->thread.joinable()) w->thread.join();
    KILN_TRY(m_first_error);
    if (m_env.cancelled) return fail(Errc::cancelled, "interrupted");
    return hand_over_layers(m_env, m_workers);
  }

 private:
  bool ready(const dockerfile::PlannedStage& ps) const {
    for (int d : ps.deps)
      if (!m_built.at(static_cast<size_t>(d))) return false;
    return true;
  }

  void start_ready() {
    for (const auto& ps : m_env.plan.stages) {
      if (m_started.at(static_cast<size_t>(ps.index)) || !ready(ps)) continue;
      if (auto st = launch(ps); !st) {
        m_env.cancelled = true;
        if (m_first_error) m_first_error = st;
      }
    }
  }

  // The first stage running uses the build's store connection; others open their own.
  Status launch(const dockerfile::PlannedStage& ps) {
    auto w = std::make_unique<Worker>();
    w->stage = &ps;
    store::Store* st = &m_env.store;
    store::Lease* lease = &m_env.lease;
    Trees* trees = &m_env.trees;
    if (m_main_store_busy) {
      w->store = KILN_TRY(store::Store::open(m_env.store.root()));
      w->lease.emplace(KILN_TRY(w->store->lease()));
      w->trees = std::make_unique<Trees>(*w->store, *w->lease, m_env.trees.mode(),
                                         m_env.trees.scratch_root() + fmt::format("/s{}", ps.index),
                                         m_env.trees.jobs());
      st = w->store.get();
      lease = &*w->lease;
      trees = w->trees.get();
    }
    m_main_store_busy = true;
    m_started.at(static_cast<size_t>(ps.index)) = true;
    Worker* raw = w.get();
    m_workers.push_back(std::move(w));
    raw->thread = std::jthread([this, raw, st, lease, trees] {
      BuildEnv local = stage_env(m_env, *st, *lease, *trees);
      Status r = build_stage(local, *raw->stage, m_lex);
      std::lock_guard lock(m_mu);
      raw->result = std::move(r);
      raw->cached = local.cached_steps;
      raw->keys = std::move(local.used_keys);
      raw->done = true;
      m_cv.notify_all();
    });
    return {};
  }

  // Joins the workers that are done; returns how many.
  size_t reap() {
    size_t n = 0;
    for (auto& w : m_workers) {
      if (!w->done || !w->thread.joinable()) continue;
      w->thread.join();
      ++n;
      m_env.cached_steps += w->cached;
      m_env.used_keys.insert(m_env.used_keys.end(), w->keys.begin(), w->keys.end());
      if (!w->store) m_main_store_busy = false;
      if (!w->result) {
        m_env.cancelled = true;
        if (m_first_error) m_first_error = w->result;
      } else {
        m_built.at(static_cast<size_t>(w->stage->index)) = true;
      }
    }
    return n;
  }

  BuildEnv& m_env;
  const dockerfile::Lexer& m_lex;
  std::vector<std::unique_ptr<Worker>> m_workers;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::vector<bool> m_built, m_started;
  bool m_main_store_busy = false;
  Status m_first_error;
};

}  // namespace

Status build_stages(BuildEnv& env, const dockerfile::Lexer& lex) {
  return Scheduler(env, lex).run();
}

}  // namespace kiln::builder
