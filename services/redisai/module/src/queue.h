// Per-device run queues and their worker threads (spec §4.1, §4.2, §4.5).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "job.h"

namespace rai::queues {

// Called on a worker thread when a job is finished (result set); must hand it to the main
// thread (the command layer unblocks the client).
using CompletionFn = void (*)(const JobPtr&);

void SetCompletion(CompletionFn fn);

// Creates the queue for `device` (upper-cased) with THREADS_PER_QUEUE workers if missing.
bool Ensure(const std::string& device);

// Queues a job at the back of its device queue. The queue must exist.
void Enqueue(const std::string& device, const JobPtr& job);

struct WorkerCpu {
  std::string device;
  int index;
  double seconds;  // CPU time used by that worker thread
};

// CPU time of every worker thread, for INFO's ai_cpu section.
std::vector<WorkerCpu> CpuUsage();

// Stops all workers: idle ones are joined; those still running a model are detached and
// left to die with the process, so SHUTDOWN never waits for a long run.
void Shutdown();

}  // namespace rai::queues
