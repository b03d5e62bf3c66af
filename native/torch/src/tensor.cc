// The Tensor wrapper, scopes, argument helpers, creation functions and tensor methods (ATen only, no torch/torch.h,
// to keep this translation unit quick to compile).
#include "addon.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/Reduction.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <cstring>
#include <unordered_set>

namespace mlf {

static std::atomic<int64_t> cellCount{0};
Cell::Cell() { cellCount++; }
Cell::~Cell() { cellCount--; }
int64_t liveCells() { return cellCount.load(); }

// OpenBLAS (the BLAS behind Debian's libtorch) keeps a thread pool of its own that at::set_num_threads does not
// size: a "1 thread" run still spread every matrix product over all cores. Found when loaded; absent for other BLAS.
struct OpenBlas {
  void (*set)(int) = nullptr;
  int (*get)() = nullptr;
};
static const OpenBlas& openBlas() {
  static const OpenBlas b = [] {
    OpenBlas r;
    if (void* h = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD)) {
      r.set = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"));
      r.get = reinterpret_cast<int (*)()>(dlsym(h, "openblas_get_num_threads"));
    }
    return r;
  }();
  return b;
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info), cell(std::make_shared<Cell>()) {}
// The GC finalizer drops this wrapper's share of the cell; a scope may still hold it until it closes.
TensorWrap::~TensorWrap() { cell->t.reset(); }

AddonData& data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

Napi::Value wrap(Napi::Env env, at::Tensor t) {
  AddonData& d = data(env);
  Napi::Object o = d.tensorCtor.New({});
  TensorWrap* w = TensorWrap::Unwrap(o);
  w->cell->t = std::move(t);
  if (!d.scopes.empty()) d.scopes.back().push_back(w->cell);
  return o;
}

Napi::Array tensorArray(Napi::Env env, const std::vector<at::Tensor>& ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); i++) a.Set(static_cast<uint32_t>(i), wrap(env, ts[i]));
  return a;
}

bool isTensor(Napi::Env env, Napi::Value v) {
  return v.IsObject() && v.As<Napi::Object>().InstanceOf(data(env).tensorCtor.Value());
}

static std::string where(const char* fn, size_t i) { return std::string(fn) + ": argument " + std::to_string(i + 1); }

bool present(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsUndefined() && !info[i].IsNull();
}

static const at::Tensor& unwrapTensor(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!isTensor(env, v)) throw Napi::TypeError::New(env, what + " must be a Tensor");
  const CellPtr& c = TensorWrap::Unwrap(v.As<Napi::Object>())->cell;
  if (!c->t.defined()) throw Napi::Error::New(env, what + " is a disposed tensor");
  return c->t;
}

const at::Tensor& tensorArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i) throw Napi::TypeError::New(info.Env(), where(fn, i) + " (a Tensor) is missing");
  return unwrapTensor(info.Env(), info[i], where(fn, i));
}

c10::optional<at::Tensor> optTensorArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (!present(info, i)) return c10::nullopt;
  return tensorArg(info, i, fn);
}

std::vector<at::Tensor> tensorListArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (!present(info, i) || !info[i].IsArray()) throw Napi::TypeError::New(info.Env(), where(fn, i) + " must be an array of Tensors");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) out.push_back(unwrapTensor(info.Env(), a.Get(k), where(fn, i) + "[" + std::to_string(k) + "]"));
  return out;
}

std::vector<int64_t> intListArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (!present(info, i)) throw Napi::TypeError::New(info.Env(), where(fn, i) + " (integers) is missing");
  if (info[i].IsNumber()) return {info[i].As<Napi::Number>().Int64Value()};
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), where(fn, i) + " must be an integer or an array of integers");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); k++) {
    Napi::Value v = a.Get(k);
    if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), where(fn, i) + "[" + std::to_string(k) + "] must be an integer");
    double d = v.As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int64_t>(d))) throw Napi::TypeError::New(info.Env(), where(fn, i) + "[" + std::to_string(k) + "] must be an integer");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* fn, c10::optional<int64_t> def) {
  if (!present(info, i)) {
    if (def) return *def;
    throw Napi::TypeError::New(info.Env(), where(fn, i) + " (an integer) is missing");
  }
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), where(fn, i) + " must be an integer");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) throw Napi::TypeError::New(info.Env(), where(fn, i) + " must be an integer");
  return static_cast<int64_t>(d);
}

double numArg(const Napi::CallbackInfo& info, size_t i, const char* fn, c10::optional<double> def) {
  if (!present(info, i)) {
    if (def) return *def;
    throw Napi::TypeError::New(info.Env(), where(fn, i) + " (a number) is missing");
  }
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), where(fn, i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool boolArg(const Napi::CallbackInfo& info, size_t i, const char* fn, c10::optional<bool> def) {
  if (!present(info, i)) {
    if (def) return *def;
    throw Napi::TypeError::New(info.Env(), where(fn, i) + " (a boolean) is missing");
  }
  if (!info[i].IsBoolean()) throw Napi::TypeError::New(info.Env(), where(fn, i) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string strArg(const Napi::CallbackInfo& info, size_t i, const char* fn, c10::optional<std::string> def) {
  if (!present(info, i)) {
    if (def) return *def;
    throw Napi::TypeError::New(info.Env(), where(fn, i) + " (a string) is missing");
  }
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), where(fn, i) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

at::ScalarType dtypeFromName(const std::string& n) {
  if (n == "float32") return at::kFloat;
  if (n == "float64") return at::kDouble;
  if (n == "int64") return at::kLong;
  if (n == "int32") return at::kInt;
  if (n == "bool") return at::kBool;
  if (n == "uint8") return at::kByte;
  throw std::invalid_argument("unknown dtype \"" + n + "\" (expected float32, float64, int64, int32, uint8 or bool)");
}

std::string dtypeName(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kBool: return "bool";
    case at::kByte: return "uint8";
    default: return c10::toString(t);
  }
}

int64_t reductionArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  std::string r = strArg(info, i, fn, std::string("mean"));
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw Napi::TypeError::New(info.Env(), where(fn, i) + ": reduction must be mean, sum or none, got \"" + r + "\"");
}

Napi::Value guarded(const Napi::CallbackInfo& info, const Fn& f) {
  try {
    return f(info);
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  }
}

void def(Napi::Env env, Napi::Object target, const char* name, Fn f) {
  target.Set(name, Napi::Function::New(env, [f](const Napi::CallbackInfo& info) { return guarded(info, f); }, name));
}

static const at::Tensor& self(const Napi::CallbackInfo& info) { return unwrapTensor(info.Env(), info.This(), "this"); }

static at::Device deviceFromName(const std::string& n) { return at::Device(n); }

static at::TensorOptions optionsArg(const Napi::CallbackInfo& info, size_t dtypeAt, const char* fn) {
  at::TensorOptions o = at::TensorOptions().dtype(dtypeFromName(strArg(info, dtypeAt, fn, std::string("float32"))));
  if (present(info, dtypeAt + 1)) o = o.device(deviceFromName(strArg(info, dtypeAt + 1, fn)));
  return o;
}

// Tensor from a typed array (copied), reshaped to `shape`, optionally cast.
static Napi::Value fromArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!present(info, 0) || !info[0].IsTypedArray()) throw Napi::TypeError::New(env, "tensor: argument 1 must be a typed array");
  Napi::TypedArray a = info[0].As<Napi::TypedArray>();
  at::ScalarType src;
  switch (a.TypedArrayType()) {
    case napi_float32_array: src = at::kFloat; break;
    case napi_float64_array: src = at::kDouble; break;
    case napi_int32_array: src = at::kInt; break;
    case napi_bigint64_array: src = at::kLong; break;
    case napi_uint8_array: src = at::kByte; break;
    default: throw Napi::TypeError::New(env, "tensor: typed array must be Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array");
  }
  std::vector<int64_t> shape = present(info, 1) ? intListArg(info, 1, "tensor") : std::vector<int64_t>{static_cast<int64_t>(a.ElementLength())};
  int64_t numel = 1;
  for (int64_t s : shape) {
    if (s < 0) throw Napi::RangeError::New(env, "tensor: negative dimension in shape");
    numel *= s;
  }
  if (numel != static_cast<int64_t>(a.ElementLength()))
    throw Napi::RangeError::New(env, "tensor: shape needs " + std::to_string(numel) + " values, the array has " + std::to_string(a.ElementLength()));
  void* ptr = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  at::Tensor t = at::from_blob(ptr, shape, at::TensorOptions().dtype(src)).clone();
  if (present(info, 2)) t = t.to(dtypeFromName(strArg(info, 2, "tensor")));
  if (present(info, 3)) t = t.to(deviceFromName(strArg(info, 3, "tensor")));
  return wrap(env, t);
}

static Napi::Value toArray(Napi::Env env, const at::Tensor& t0) {
  at::Tensor t = t0.detach().to(at::kCPU).contiguous();
  size_t n = static_cast<size_t>(t.numel());
  size_t bytes = n * t.element_size();
  Napi::Value out;
  void* dst;
  auto make = [&](napi_typedarray_type type) {
    Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, bytes);
    dst = buf.Data();
    napi_value arr;
    if (napi_create_typedarray(env, type, n, buf, 0, &arr) != napi_ok) throw Napi::Error::New(env, "toArray: cannot create typed array");
    out = Napi::Value(env, arr);
  };
  switch (t.scalar_type()) {
    case at::kFloat: make(napi_float32_array); break;
    case at::kDouble: make(napi_float64_array); break;
    case at::kInt: make(napi_int32_array); break;
    case at::kLong: make(napi_bigint64_array); break;
    case at::kBool: make(napi_uint8_array); break;
    case at::kByte: make(napi_uint8_array); break;
    default: throw Napi::TypeError::New(env, "toArray: unsupported dtype " + dtypeName(t.scalar_type()));
  }
  if (bytes) std::memcpy(dst, t.data_ptr(), bytes);
  return out;
}

// Operand that may be a tensor or a JS number (a 0-d tensor of the receiver's dtype/device).
static at::Tensor operand(const Napi::CallbackInfo& info, size_t i, const at::Tensor& like, const char* fn) {
  if (present(info, i) && info[i].IsNumber()) return at::scalar_tensor(info[i].As<Napi::Number>().DoubleValue(), like.options());
  return tensorArg(info, i, fn);
}

static std::vector<int64_t> dimsOrAll(const Napi::CallbackInfo& info, size_t i, const at::Tensor& t, const char* fn) {
  if (present(info, i)) return intListArg(info, i, fn);
  std::vector<int64_t> all(t.dim());
  for (int64_t k = 0; k < t.dim(); k++) all[k] = k;
  return all;
}

static void defineTensorMethods(Napi::Env env, Napi::Object proto) {
  using CI = const Napi::CallbackInfo&;
  def(env, proto, "_shape", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    Napi::Array a = Napi::Array::New(info.Env(), t.dim());
    for (int64_t k = 0; k < t.dim(); k++) a.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), static_cast<double>(t.size(k))));
    return a;
  });
  def(env, proto, "_dtype", [](CI info) -> Napi::Value { return Napi::String::New(info.Env(), dtypeName(self(info).scalar_type())); });
  def(env, proto, "_device", [](CI info) -> Napi::Value { return Napi::String::New(info.Env(), self(info).device().str()); });
  def(env, proto, "_requiresGrad", [](CI info) -> Napi::Value { return Napi::Boolean::New(info.Env(), self(info).requires_grad()); });
  def(env, proto, "numel", [](CI info) -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(self(info).numel())); });
  def(env, proto, "isDisposed", [](CI info) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), !TensorWrap::Unwrap(info.This().As<Napi::Object>())->cell->t.defined());
  });
  def(env, proto, "dispose", [](CI info) -> Napi::Value {
    TensorWrap::Unwrap(info.This().As<Napi::Object>())->cell->t.reset();
    return info.Env().Undefined();
  });
  def(env, proto, "setRequiresGrad", [](CI info) -> Napi::Value {
    self(info).set_requires_grad(boolArg(info, 0, "setRequiresGrad", true));
    return info.This();
  });
  def(env, proto, "_grad", [](CI info) -> Napi::Value {
    const at::Tensor& g = self(info).grad();
    if (!g.defined()) return info.Env().Null();
    return wrap(info.Env(), g);
  });
  def(env, proto, "zeroGrad", [](CI info) -> Napi::Value {
    at::Tensor& g = self(info).mutable_grad();
    if (g.defined()) g.reset();
    return info.Env().Undefined();
  });
  def(env, proto, "backward", [](CI info) -> Napi::Value {
    c10::optional<at::Tensor> g = optTensorArg(info, 0, "backward");
    self(info).backward(g ? *g : at::Tensor(), boolArg(info, 1, "backward", false));
    return info.Env().Undefined();
  });
  def(env, proto, "toArray", [](CI info) -> Napi::Value { return toArray(info.Env(), self(info)); });
  def(env, proto, "item", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    if (t.numel() != 1) throw Napi::RangeError::New(info.Env(), "item: tensor has " + std::to_string(t.numel()) + " elements, expected 1");
    return Napi::Number::New(info.Env(), t.item<double>());
  });
  def(env, proto, "detach", [](CI info) -> Napi::Value { return wrap(info.Env(), self(info).detach()); });
  def(env, proto, "clone", [](CI info) -> Napi::Value { return wrap(info.Env(), self(info).clone()); });
  def(env, proto, "contiguous", [](CI info) -> Napi::Value { return wrap(info.Env(), self(info).contiguous()); });
  def(env, proto, "to", [](CI info) -> Napi::Value {
    std::string s = strArg(info, 0, "to");
    const at::Tensor& t = self(info);
    if (s == "cpu" || s.rfind("cuda", 0) == 0) return wrap(info.Env(), t.to(deviceFromName(s)));
    return wrap(info.Env(), t.to(dtypeFromName(s)));
  });

  // In-place writes used to initialise or load parameters: never recorded by autograd.
  def(env, proto, "copy_", [](CI info) -> Napi::Value {
    at::NoGradGuard ng;
    const at::Tensor& src = tensorArg(info, 0, "copy_");
    const at::Tensor& t = self(info);
    if (src.sizes() != t.sizes()) throw Napi::RangeError::New(info.Env(), "copy_: shape mismatch");
    t.copy_(src);
    return info.This();
  });
  def(env, proto, "fill_", [](CI info) -> Napi::Value { at::NoGradGuard ng; self(info).fill_(numArg(info, 0, "fill_")); return info.This(); });
  def(env, proto, "uniform_", [](CI info) -> Napi::Value {
    at::NoGradGuard ng;
    self(info).uniform_(numArg(info, 0, "uniform_"), numArg(info, 1, "uniform_"));
    return info.This();
  });
  def(env, proto, "normal_", [](CI info) -> Napi::Value {
    at::NoGradGuard ng;
    self(info).normal_(numArg(info, 0, "normal_", 0.0), numArg(info, 1, "normal_", 1.0));
    return info.This();
  });

  // Elementwise binary ops (tensor or number operand, broadcasting).
#define MLF_BINARY(NAME, EXPR)                                                   \
  def(env, proto, NAME, [](CI info) -> Napi::Value {                             \
    const at::Tensor& a = self(info);                                            \
    at::Tensor b = operand(info, 0, a, NAME);                                    \
    return wrap(info.Env(), EXPR);                                               \
  });
  MLF_BINARY("add", at::add(a, b))
  MLF_BINARY("sub", at::sub(a, b))
  MLF_BINARY("mul", at::mul(a, b))
  MLF_BINARY("div", at::div(a, b))
  MLF_BINARY("pow", at::pow(a, b))
  MLF_BINARY("maximum", at::maximum(a, b))
  MLF_BINARY("minimum", at::minimum(a, b))
  MLF_BINARY("gt", at::gt(a, b).to(a.scalar_type()))
  MLF_BINARY("lt", at::lt(a, b).to(a.scalar_type()))
  MLF_BINARY("ge", at::ge(a, b).to(a.scalar_type()))
  MLF_BINARY("le", at::le(a, b).to(a.scalar_type()))
  MLF_BINARY("eq", at::eq(a, b).to(a.scalar_type()))
  MLF_BINARY("matmul", at::matmul(a, b))
  MLF_BINARY("bmm", at::bmm(a, b))
#undef MLF_BINARY

#define MLF_UNARY(NAME, EXPR) \
  def(env, proto, NAME, [](CI info) -> Napi::Value { const at::Tensor& a = self(info); return wrap(info.Env(), EXPR); });
  MLF_UNARY("neg", at::neg(a))
  MLF_UNARY("exp", at::exp(a))
  MLF_UNARY("log", at::log(a))
  MLF_UNARY("log1p", at::log1p(a))
  MLF_UNARY("sqrt", at::sqrt(a))
  MLF_UNARY("abs", at::abs(a))
  MLF_UNARY("square", at::square(a))
  MLF_UNARY("reciprocal", at::reciprocal(a))
  MLF_UNARY("sign", at::sign(a))
  MLF_UNARY("tanh", at::tanh(a))
  MLF_UNARY("sigmoid", at::sigmoid(a))
  MLF_UNARY("relu", at::relu(a))
  MLF_UNARY("gelu", at::gelu(a))
  MLF_UNARY("silu", at::silu(a))
  MLF_UNARY("softplus", at::softplus(a))
  MLF_UNARY("elu", at::elu(a))
  MLF_UNARY("lgamma", at::lgamma(a))
#undef MLF_UNARY
  def(env, proto, "leakyRelu", [](CI info) -> Napi::Value { return wrap(info.Env(), at::leaky_relu(self(info), numArg(info, 0, "leakyRelu", 0.01))); });
  def(env, proto, "clamp", [](CI info) -> Napi::Value {
    c10::optional<at::Scalar> lo, hi;
    if (present(info, 0)) lo = numArg(info, 0, "clamp");
    if (present(info, 1)) hi = numArg(info, 1, "clamp");
    return wrap(info.Env(), at::clamp(self(info), lo, hi));
  });

  // Reductions: dims default to all; keepdim defaults to false.
  def(env, proto, "sum", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    return wrap(info.Env(), at::sum(t, dimsOrAll(info, 0, t, "sum"), boolArg(info, 1, "sum", false)));
  });
  def(env, proto, "mean", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    return wrap(info.Env(), at::mean(t, dimsOrAll(info, 0, t, "mean"), boolArg(info, 1, "mean", false)));
  });
  def(env, proto, "var", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    return wrap(info.Env(), at::var(t, dimsOrAll(info, 0, t, "var"), boolArg(info, 1, "var", true), boolArg(info, 2, "var", false)));
  });
  def(env, proto, "logsumexp", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    return wrap(info.Env(), at::logsumexp(t, dimsOrAll(info, 0, t, "logsumexp"), boolArg(info, 1, "logsumexp", false)));
  });
  def(env, proto, "max", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    if (!present(info, 0)) return wrap(info.Env(), at::max(t));
    return wrap(info.Env(), std::get<0>(at::max(t, intArg(info, 0, "max"), boolArg(info, 1, "max", false))));
  });
  def(env, proto, "min", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    if (!present(info, 0)) return wrap(info.Env(), at::min(t));
    return wrap(info.Env(), std::get<0>(at::min(t, intArg(info, 0, "min"), boolArg(info, 1, "min", false))));
  });
  def(env, proto, "argmax", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::argmax(self(info), intArg(info, 0, "argmax"), boolArg(info, 1, "argmax", false)));
  });
  def(env, proto, "norm", [](CI info) -> Napi::Value { return wrap(info.Env(), at::norm(self(info), numArg(info, 0, "norm", 2.0))); });

  // Shape ops.
  def(env, proto, "reshape", [](CI info) -> Napi::Value { return wrap(info.Env(), self(info).reshape(intListArg(info, 0, "reshape"))); });
  def(env, proto, "transpose", [](CI info) -> Napi::Value {
    return wrap(info.Env(), self(info).transpose(intArg(info, 0, "transpose"), intArg(info, 1, "transpose")));
  });
  def(env, proto, "permute", [](CI info) -> Napi::Value { return wrap(info.Env(), self(info).permute(intListArg(info, 0, "permute"))); });
  def(env, proto, "squeeze", [](CI info) -> Napi::Value {
    const at::Tensor& t = self(info);
    return wrap(info.Env(), present(info, 0) ? t.squeeze(intArg(info, 0, "squeeze")) : t.squeeze());
  });
  def(env, proto, "unsqueeze", [](CI info) -> Napi::Value { return wrap(info.Env(), self(info).unsqueeze(intArg(info, 0, "unsqueeze"))); });
  def(env, proto, "flatten", [](CI info) -> Napi::Value {
    return wrap(info.Env(), self(info).flatten(intArg(info, 0, "flatten", 0), intArg(info, 1, "flatten", -1)));
  });
  def(env, proto, "narrow", [](CI info) -> Napi::Value {
    return wrap(info.Env(), self(info).narrow(intArg(info, 0, "narrow"), intArg(info, 1, "narrow"), intArg(info, 2, "narrow")));
  });
  def(env, proto, "select", [](CI info) -> Napi::Value {
    return wrap(info.Env(), self(info).select(intArg(info, 0, "select"), intArg(info, 1, "select")));
  });
  def(env, proto, "indexSelect", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::index_select(self(info), intArg(info, 0, "indexSelect"), tensorArg(info, 1, "indexSelect")));
  });
  def(env, proto, "gather", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::gather(self(info), intArg(info, 0, "gather"), tensorArg(info, 1, "gather")));
  });
  def(env, proto, "expand", [](CI info) -> Napi::Value { return wrap(info.Env(), self(info).expand(intListArg(info, 0, "expand"))); });
  def(env, proto, "repeat", [](CI info) -> Napi::Value { return wrap(info.Env(), self(info).repeat(intListArg(info, 0, "repeat"))); });
  def(env, proto, "flip", [](CI info) -> Napi::Value { return wrap(info.Env(), at::flip(self(info), intListArg(info, 0, "flip"))); });
  def(env, proto, "pad", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::constant_pad_nd(self(info), intListArg(info, 0, "pad"), numArg(info, 1, "pad", 0.0)));
  });
  def(env, proto, "chunk", [](CI info) -> Napi::Value {
    return tensorArray(info.Env(), at::chunk(self(info), intArg(info, 0, "chunk"), intArg(info, 1, "chunk", 0)));
  });
}

static void defineCreation(Napi::Env env, Napi::Object exports) {
  using CI = const Napi::CallbackInfo&;
  def(env, exports, "tensor", fromArray);
  def(env, exports, "zeros", [](CI info) -> Napi::Value { return wrap(info.Env(), at::zeros(intListArg(info, 0, "zeros"), optionsArg(info, 1, "zeros"))); });
  def(env, exports, "ones", [](CI info) -> Napi::Value { return wrap(info.Env(), at::ones(intListArg(info, 0, "ones"), optionsArg(info, 1, "ones"))); });
  def(env, exports, "full", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::full(intListArg(info, 0, "full"), numArg(info, 1, "full"), optionsArg(info, 2, "full")));
  });
  def(env, exports, "randn", [](CI info) -> Napi::Value { return wrap(info.Env(), at::randn(intListArg(info, 0, "randn"), optionsArg(info, 1, "randn"))); });
  def(env, exports, "rand", [](CI info) -> Napi::Value { return wrap(info.Env(), at::rand(intListArg(info, 0, "rand"), optionsArg(info, 1, "rand"))); });
  def(env, exports, "arange", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::arange(intArg(info, 0, "arange"), at::TensorOptions().dtype(dtypeFromName(strArg(info, 1, "arange", std::string("int64"))))));
  });
  def(env, exports, "cat", [](CI info) -> Napi::Value { return wrap(info.Env(), at::cat(tensorListArg(info, 0, "cat"), intArg(info, 1, "cat", 0))); });
  def(env, exports, "stack", [](CI info) -> Napi::Value { return wrap(info.Env(), at::stack(tensorListArg(info, 0, "stack"), intArg(info, 1, "stack", 0))); });
  def(env, exports, "where", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::where(tensorArg(info, 0, "where").to(at::kBool), tensorArg(info, 1, "where"), tensorArg(info, 2, "where")));
  });
}

static void defineRuntime(Napi::Env env, Napi::Object exports) {
  using CI = const Napi::CallbackInfo&;
  def(env, exports, "scopeBegin", [](CI info) -> Napi::Value {
    data(info.Env()).scopes.emplace_back();
    return Napi::Number::New(info.Env(), static_cast<double>(data(info.Env()).scopes.size()));
  });
  // Close the innermost scope: free every tensor it created except `keep` (which moves to the enclosing scope).
  def(env, exports, "scopeEnd", [](CI info) -> Napi::Value {
    AddonData& d = data(info.Env());
    if (d.scopes.empty()) throw Napi::Error::New(info.Env(), "scopeEnd: no open scope");
    std::unordered_set<Cell*> keep;
    if (present(info, 0)) {
      Napi::Array a = info[0].As<Napi::Array>();
      for (uint32_t k = 0; k < a.Length(); k++) {
        Napi::Value v = a.Get(k);
        if (isTensor(info.Env(), v)) keep.insert(TensorWrap::Unwrap(v.As<Napi::Object>())->cell.get());
      }
    }
    std::vector<CellPtr> cells = std::move(d.scopes.back());
    d.scopes.pop_back();
    for (CellPtr& c : cells) {
      if (c->persistent) continue;
      if (keep.count(c.get())) {
        if (!d.scopes.empty()) d.scopes.back().push_back(c);
      } else {
        c->t.reset();
      }
    }
    return info.Env().Undefined();
  });
  def(env, exports, "scopeDepth", [](CI info) -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(data(info.Env()).scopes.size())); });
  def(env, exports, "keep", [](CI info) -> Napi::Value {
    tensorArg(info, 0, "keep");
    TensorWrap::Unwrap(info[0].As<Napi::Object>())->cell->persistent = true;
    return info[0];
  });
  def(env, exports, "liveTensors", [](CI info) -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(liveCells())); });
  def(env, exports, "emptyCache", [](CI info) -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(emptyTensorCache())); });
  def(env, exports, "cachedBytes", [](CI info) -> Napi::Value { return Napi::Number::New(info.Env(), static_cast<double>(cachedTensorBytes())); });
  def(env, exports, "setGradEnabled", [](CI info) -> Napi::Value {
    bool prev = at::GradMode::is_enabled();
    at::GradMode::set_enabled(boolArg(info, 0, "setGradEnabled"));
    return Napi::Boolean::New(info.Env(), prev);
  });
  def(env, exports, "isGradEnabled", [](CI info) -> Napi::Value { return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled()); });
  def(env, exports, "manualSeed", [](CI info) -> Napi::Value {
    at::manual_seed(static_cast<uint64_t>(intArg(info, 0, "manualSeed")));
    return info.Env().Undefined();
  });
  def(env, exports, "getRngState", [](CI info) -> Napi::Value {
    at::Generator g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    return wrap(info.Env(), g.get_state());
  });
  def(env, exports, "setRngState", [](CI info) -> Napi::Value {
    at::Generator g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(tensorArg(info, 0, "setRngState"));
    return info.Env().Undefined();
  });
  def(env, exports, "setNumThreads", [](CI info) -> Napi::Value {
    int64_t n = intArg(info, 0, "setNumThreads");
    if (n < 1) throw Napi::RangeError::New(info.Env(), "setNumThreads: threads must be >= 1");
    at::set_num_threads(static_cast<int>(n));
    if (const OpenBlas& b = openBlas(); b.set) b.set(static_cast<int>(n));
    return info.Env().Undefined();
  });
  def(env, exports, "getNumThreads", [](CI info) -> Napi::Value { return Napi::Number::New(info.Env(), at::get_num_threads()); });
  def(env, exports, "blasThreads", [](CI info) -> Napi::Value {
    const OpenBlas& b = openBlas();
    return b.get ? Napi::Number::New(info.Env(), b.get()) : info.Env().Null();
  });
  def(env, exports, "setDeterministic", [](CI info) -> Napi::Value {
    at::globalContext().setDeterministicAlgorithms(boolArg(info, 0, "setDeterministic"), false);
    return info.Env().Undefined();
  });
  def(env, exports, "cudaAvailable", [](CI info) -> Napi::Value { return Napi::Boolean::New(info.Env(), at::hasCUDA()); });
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  installTensorAllocator();
  auto* d = new AddonData();
  env.SetInstanceData<AddonData>(d);
  Napi::Function ctor = TensorWrap::DefineClass(env, "Tensor", {});
  d->tensorCtor = Napi::Persistent(ctor);
  defineTensorMethods(env, ctor.Get("prototype").As<Napi::Object>());
  exports.Set("Tensor", ctor);
  defineCreation(env, exports);
  defineRuntime(env, exports);
  initFunctional(env, exports);
  initOptim(env, exports);
  exports.Set("libtorchVersion", Napi::String::New(env, TORCH_VERSION));
  return exports;
}

}  // namespace mlf

static Napi::Object initAddon(Napi::Env env, Napi::Object exports) { return mlf::init(env, exports); }
NODE_API_MODULE(mlf_torch, initAddon)
