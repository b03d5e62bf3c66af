// CPU tensor memory that does not fragment glibc's heap.
//
// Each training step frees its tensors at the end of its scope, while the small native halves of their JS wrappers
// live on until V8 collects them. Those small blocks sit between the freed tensor blocks in glibc's heap, which then
// cannot coalesce them: a PatchTST epoch grew the heap by ~60 MB per step (3 GB resident, 2.9 GB of it free, against
// 0.8 GB for the same epoch in Python torch), and the first epoch paid ~1.3 M page faults for it. Large blocks
// therefore come from mmap, never from the heap, and are cached by size on release: training repeats the same shapes
// every step, so after the first step a block request is a free-list pop, with no page fault. Small blocks keep
// going to malloc. The cache is capped and emptied at the end of every fit (emptyCache).
#include "addon.h"

#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlf {
namespace {

constexpr size_t kHeader = 64;              // keeps the 64-byte alignment libtorch's kernels expect
constexpr size_t kLarge = size_t(1) << 18;  // blocks of 256 KiB and up: mapped and cached
constexpr size_t kPage = 4096;

// Just before the data. Mapped blocks place their data at one of 32 offsets within the first pages, in turn: with
// every tensor at the same offset within a page, kernels reading one tensor while writing another hit 4K aliasing
// (loads wait on unrelated stores).
struct Header {
  void* base;
  size_t bytes;  // whole block
  bool mapped;
};
constexpr size_t kStagger = 32;
constexpr size_t kStaggerStep = kPage / kStagger;
constexpr size_t kMappedExtra = kHeader + kPage;  // header plus the largest stagger
static_assert(sizeof(Header) <= kHeader, "header fits its slot");

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free;  // block size -> cached blocks' data pointers
  size_t cachedBytes = 0;
  size_t limitBytes = size_t(4) << 30;
};

Cache& cache() {
  static Cache* c = [] {
    auto* c = new Cache();  // never destroyed: tensors may be released during process exit
    // At most a quarter of physical memory (and 4 GiB) held for reuse, or MLF_TORCH_CACHE_MB.
    const long pages = sysconf(_SC_PHYS_PAGES);
    if (pages > 0) c->limitBytes = std::min(c->limitBytes, size_t(pages) * size_t(sysconf(_SC_PAGESIZE)) / 4);
    if (const char* mb = std::getenv("MLF_TORCH_CACHE_MB")) c->limitBytes = size_t(std::strtoull(mb, nullptr, 10)) << 20;
    return c;
  }();
  return *c;
}

void* mapBlock(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

Header* headerOf(void* data) { return reinterpret_cast<Header*>(static_cast<char*>(data) - kHeader); }

void release(void* data) {
  if (!data) return;
  const Header h = *headerOf(data);
  if (!h.mapped) {
    std::free(h.base);
    return;
  }
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cachedBytes + h.bytes <= c.limitBytes) {
      c.free[h.bytes].push_back(data);  // a cached block keeps its data offset
      c.cachedBytes += h.bytes;
      return;
    }
  }
  munmap(h.base, h.bytes);
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) const override {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (n == 0) return {nullptr, nullptr, &release, cpu};
    void* data = nullptr;
    if (n + kMappedExtra >= kLarge) {
      const size_t bytes = (n + kMappedExtra + kPage - 1) / kPage * kPage;
      Cache& c = cache();
      {
        std::lock_guard<std::mutex> lock(c.mu);
        auto it = c.free.find(bytes);
        if (it != c.free.end() && !it->second.empty()) {
          data = it->second.back();
          it->second.pop_back();
          c.cachedBytes -= bytes;
        }
      }
      if (!data) {
        void* base = mapBlock(bytes);
        if (!base) throw std::bad_alloc();
        static std::atomic<size_t> turn{0};
        data = static_cast<char*>(base) + kHeader + (turn++ % kStagger) * kStaggerStep;
        *headerOf(data) = {base, bytes, true};
      }
    } else {
      void* base = nullptr;
      if (posix_memalign(&base, kHeader, n + kHeader) != 0) throw std::bad_alloc();
      data = static_cast<char*>(base) + kHeader;
      *headerOf(data) = {base, n + kHeader, false};
    }
    return {data, data, &release, cpu};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
};

CachingCpuAllocator allocatorInstance;

}  // namespace

size_t emptyTensorCache() {
  Cache& c = cache();
  std::unordered_map<size_t, std::vector<void*>> blocks;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    blocks.swap(c.free);
    c.cachedBytes = 0;
  }
  size_t freed = 0;
  for (auto& [bytes, list] : blocks) {
    for (void* d : list) munmap(headerOf(d)->base, bytes);
    freed += bytes * list.size();
  }
  return freed;
}

size_t cachedTensorBytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.cachedBytes;
}

void installTensorAllocator() {
  // MLF_TORCH_ALLOCATOR=system keeps libtorch's own (for comparisons).
  const char* choice = std::getenv("MLF_TORCH_ALLOCATOR");
  if (choice && std::string(choice) == "system") return;
  // Priority above the default (0) so libtorch's own registration cannot replace it later.
  c10::SetCPUAllocator(&allocatorInstance, 10);
}

}  // namespace mlf
