// Shared declarations of the libtorch binding: the Tensor wrapper, argument helpers and the error guard.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace mlf {

// A tensor slot shared by its JS wrapper and the scope that created it, so a scope can free the tensor even when the
// wrapper is still reachable (later use then fails with a clear "disposed" error instead of touching freed memory).
struct Cell {
  at::Tensor t;
  bool persistent = false;  // kept: scopes never free it
  Cell();
  ~Cell();
};
using CellPtr = std::shared_ptr<Cell>;

// Number of live Cell objects (wrappers not yet collected; a disposed cell's tensor is already freed), for leak tests.
int64_t liveCells();

// The CPU tensor allocator (allocator.cc): large blocks mapped and cached by size.
void installTensorAllocator();
size_t emptyTensorCache();
size_t cachedTensorBytes();

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;
  CellPtr cell;
};

struct AddonData {
  Napi::FunctionReference tensorCtor;
  std::vector<std::vector<CellPtr>> scopes;
};

AddonData& data(Napi::Env env);

// Wrap a result tensor into a new JS object registered in the innermost open scope.
Napi::Value wrap(Napi::Env env, at::Tensor t);
bool isTensor(Napi::Env env, Napi::Value v);
const at::Tensor& tensorArg(const Napi::CallbackInfo& info, size_t i, const char* fn);
c10::optional<at::Tensor> optTensorArg(const Napi::CallbackInfo& info, size_t i, const char* fn);
std::vector<at::Tensor> tensorListArg(const Napi::CallbackInfo& info, size_t i, const char* fn);
std::vector<int64_t> intListArg(const Napi::CallbackInfo& info, size_t i, const char* fn);
int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* fn, c10::optional<int64_t> def = c10::nullopt);
double numArg(const Napi::CallbackInfo& info, size_t i, const char* fn, c10::optional<double> def = c10::nullopt);
bool boolArg(const Napi::CallbackInfo& info, size_t i, const char* fn, c10::optional<bool> def = c10::nullopt);
std::string strArg(const Napi::CallbackInfo& info, size_t i, const char* fn, c10::optional<std::string> def = c10::nullopt);
bool present(const Napi::CallbackInfo& info, size_t i);
at::ScalarType dtypeFromName(const std::string& name);
std::string dtypeName(at::ScalarType t);
int64_t reductionArg(const Napi::CallbackInfo& info, size_t i, const char* fn);
Napi::Array tensorArray(Napi::Env env, const std::vector<at::Tensor>& ts);

using Fn = std::function<Napi::Value(const Napi::CallbackInfo&)>;

// Turn libtorch errors into JS exceptions with the message only (c10's what() carries a long C++ backtrace).
Napi::Value guarded(const Napi::CallbackInfo& info, const Fn& f);

// Define a guarded function named `name` on `target`.
void def(Napi::Env env, Napi::Object target, const char* name, Fn f);

void initFunctional(Napi::Env env, Napi::Object exports);
void initOptim(Napi::Env env, Napi::Object exports);

}  // namespace mlf
