// Device queues: FIFO of jobs per device, served by worker threads that batch and run models.
#include "queue.h"

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "args.h"
#include "batch.h"
#include "config.h"
#include "errors.h"

namespace rai::queues {

namespace {

struct Worker {
  std::thread thread;
  std::atomic<bool> finished{false};
};

struct DeviceQueue {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<JobPtr> jobs;
  std::vector<std::unique_ptr<Worker>> workers;
  bool stopping = false;
};

struct Registry {
  std::mutex mu;
  std::map<std::string, std::unique_ptr<DeviceQueue>> queues;
  std::atomic<CompletionFn> completion{nullptr};
  std::atomic<bool> shut_down{false};
  std::mutex exit_mu;
  std::condition_variable exit_cv;
};

// Never destroyed: at process exit a busy worker may still reference its queue.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

void Complete(const JobPtr& job) {
  if (job->result == JobResult::Pending) job->result = JobResult::Ok;
  if (registry().shut_down) return;  // the server is exiting; nobody is waiting
  CompletionFn fn = registry().completion.load();
  if (fn) fn(job);
}

void RunScript(const JobPtr& job) {
  ScriptStep& step = std::get<ScriptStep>(job->steps[job->next]);
  std::string error;
  auto start = Clock::now();
  bool ok = torchb::RunScript(*step.script->unit, step.function, step.entry_point, step.inputs,
                              step.keys, step.args, step.noutputs, &step.outputs, &error);
  long long micros =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  RunStats& stats = *step.script->stats;
  stats.calls += 1;
  if (!ok) {
    stats.errors += 1;
    job->Fail(error);
    return;
  }
  stats.duration_us += micros;
  job->Advance();
}

// Runs one step for every member of `group`: a script step alone, or one model run for all
// (a batch when there is more than one member).
void RunGroup(const std::vector<JobPtr>& group) {
  if (std::holds_alternative<ScriptStep>(group[0]->steps[group[0]->next])) {
    RunScript(group[0]);
    return;
  }
  std::vector<ModelStep*> members;
  for (const JobPtr& j : group) members.push_back(j->NextModelStep());
  const Model& model = *members[0]->model;
  std::vector<TensorPtr> inputs =
      members.size() == 1 ? members[0]->inputs : batch::Concat(members);

  std::vector<TensorPtr> outputs;
  std::string error;
  auto start = Clock::now();
  bool ok = torchb::Run(*model.torch, inputs, members[0]->noutputs, &outputs, &error);
  long long micros =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  if (ok) {
    if (members.size() == 1) {
      members[0]->outputs = std::move(outputs);
    } else if (!batch::Split(outputs, members)) {
      ok = false;
      error = err::kBatchSizeMismatch;
    }
  }

  RunStats& stats = *model.stats;
  for (size_t i = 0; i < group.size(); ++i) {
    stats.calls += 1;
    if (!ok) {
      stats.errors += 1;
      group[i]->Fail(error);
      continue;
    }
    stats.duration_us += micros;
    const auto& outs = members[i]->outputs;
    if (!outs.empty() && !outs[0]->shape.empty()) stats.samples += outs[0]->shape[0];
    group[i]->Advance();
  }
}

// Takes the head job and, for a batching model, the queued jobs that may join it. Returns an
// empty group when the head must wait for MINBATCHSIZE (it is then back on the queue).
std::vector<JobPtr> TakeGroup(DeviceQueue& q, std::vector<JobPtr>* expired) {
  auto now = Clock::now();
  JobPtr head = q.jobs.front();
  q.jobs.pop_front();
  if (head->Expired(now)) {
    head->result = JobResult::TimedOut;
    expired->push_back(head);
    return {};
  }
  std::vector<JobPtr> group{head};
  ModelStep* step = head->NextModelStep();
  if (!step) return group;
  const ModelSpec& spec = step->model->spec;
  long long total = batch::Size(*step);
  if (spec.batchsize == 0 || total == 0 || total >= static_cast<long long>(spec.batchsize))
    return group;

  for (auto it = q.jobs.begin();
       it != q.jobs.end() && total < static_cast<long long>(spec.batchsize);) {
    ModelStep* other = (*it)->NextModelStep();
    long long size = other ? batch::Size(*other) : 0;
    if (!other || size == 0 || !batch::Compatible(*step, *other)) {
      ++it;
      continue;
    }
    if ((*it)->Expired(now)) {
      (*it)->result = JobResult::TimedOut;
      expired->push_back(*it);
    } else {
      group.push_back(*it);
      total += size;
    }
    it = q.jobs.erase(it);
  }

  bool waited_enough = spec.minbatchtimeout > 0 &&
                       now - head->enqueued > std::chrono::milliseconds(spec.minbatchtimeout);
  if (spec.minbatchsize > 0 && total < static_cast<long long>(spec.minbatchsize) &&
      !waited_enough) {
    for (auto it = group.rbegin(); it != group.rend(); ++it) q.jobs.push_front(*it);
    return {};
  }
  return group;
}

void WorkerLoop(DeviceQueue* q, Worker* self) {
  torchb::InitWorkerThread();
  std::unique_lock<std::mutex> lock(q->mu);
  while (true) {
    q->cv.wait(lock, [q] { return q->stopping || !q->jobs.empty(); });
    if (q->stopping) break;
    std::vector<JobPtr> expired;
    std::vector<JobPtr> group = TakeGroup(*q, &expired);
    if (group.empty() && expired.empty()) {
      // Waiting for MINBATCHSIZE: retry in about a millisecond or when a job arrives.
      q->cv.wait_for(lock, std::chrono::milliseconds(1));
      continue;
    }
    lock.unlock();
    for (const JobPtr& j : expired) Complete(j);
    if (!group.empty()) RunGroup(group);
    lock.lock();
    for (auto it = group.rbegin(); it != group.rend(); ++it) {
      if (!(*it)->Done()) q->jobs.push_front(*it);  // multi-step jobs keep their place
    }
    lock.unlock();
    for (const JobPtr& j : group) {
      if (j->Done()) Complete(j);
    }
    lock.lock();
  }
  self->finished = true;
  std::lock_guard<std::mutex> exit_lock(registry().exit_mu);
  registry().exit_cv.notify_all();
}

}  // namespace

void SetCompletion(CompletionFn fn) { registry().completion = fn; }

bool Ensure(const std::string& device) {
  std::string name = args::Upper(device);
  std::lock_guard<std::mutex> lock(registry().mu);
  if (registry().queues.count(name)) return true;
  auto q = std::make_unique<DeviceQueue>();
  try {
    for (long long i = 0; i < config().threads_per_queue; ++i) {
      auto w = std::make_unique<Worker>();
      w->thread = std::thread(WorkerLoop, q.get(), w.get());
      q->workers.push_back(std::move(w));
    }
  } catch (const std::exception&) {
    {
      std::lock_guard<std::mutex> qlock(q->mu);
      q->stopping = true;
    }
    q->cv.notify_all();
    for (auto& w : q->workers) w->thread.join();
    return false;
  }
  registry().queues.emplace(name, std::move(q));
  return true;
}

void Enqueue(const std::string& device, const JobPtr& job) {
  DeviceQueue* q = nullptr;
  {
    std::lock_guard<std::mutex> lock(registry().mu);
    q = registry().queues.at(args::Upper(device)).get();
  }
  job->enqueued = Clock::now();
  {
    std::lock_guard<std::mutex> lock(q->mu);
    q->jobs.push_back(job);
  }
  q->cv.notify_one();
}

std::vector<WorkerCpu> CpuUsage() {
  std::lock_guard<std::mutex> lock(registry().mu);
  std::vector<WorkerCpu> out;
  for (const auto& [name, q] : registry().queues) {
    for (size_t i = 0; i < q->workers.size(); ++i) {
      double seconds = 0;
      clockid_t clock;
      timespec ts{};
      if (!q->workers[i]->finished &&
          pthread_getcpuclockid(q->workers[i]->thread.native_handle(), &clock) == 0 &&
          clock_gettime(clock, &ts) == 0)
        seconds = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
      out.push_back({name, static_cast<int>(i), seconds});
    }
  }
  return out;
}

void Shutdown() {
  Registry& r = registry();
  r.shut_down = true;
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto& [name, q] : r.queues) {
    {
      std::lock_guard<std::mutex> qlock(q->mu);
      q->stopping = true;
    }
    q->cv.notify_all();
  }
  // Idle workers leave at once; give busy ones a moment, then stop waiting for them.
  auto deadline = Clock::now() + std::chrono::milliseconds(200);
  for (auto& [name, q] : r.queues) {
    for (auto& w : q->workers) {
      std::unique_lock<std::mutex> exit_lock(r.exit_mu);
      r.exit_cv.wait_until(exit_lock, deadline, [&w] { return w->finished.load(); });
      exit_lock.unlock();
      if (!w->thread.joinable()) continue;
      if (w->finished) {
        w->thread.join();
      } else {
        w->thread.detach();
      }
    }
  }
}

}  // namespace rai::queues
