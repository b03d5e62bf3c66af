// Optimizers (libtorch's own Adam, AdamW, SGD), gradient clipping and optimizer-state files for resuming training.
#include "addon.h"

#include <torch/torch.h>

namespace mlf {

using CI = const Napi::CallbackInfo&;
using OptimPtr = std::shared_ptr<torch::optim::Optimizer>;

static double option(Napi::Object o, const char* key, double def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber()) throw std::invalid_argument(std::string("optimizer: option ") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

static OptimPtr& optimArg(CI info, size_t i, const char* fn) {
  if (!present(info, i) || !info[i].IsExternal()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument 1 must be an optimizer handle");
  return *info[i].As<Napi::External<OptimPtr>>().Data();
}

void initOptim(Napi::Env env, Napi::Object exports) {
  // optimizerCreate(kind: "adam" | "adamw" | "sgd", params, {lr, beta1, beta2, eps, weightDecay, momentum, dampening, nesterov})
  def(env, exports, "optimizerCreate", [](CI info) -> Napi::Value {
    std::string kind = strArg(info, 0, "optimizerCreate");
    std::vector<at::Tensor> params = tensorListArg(info, 1, "optimizerCreate");
    Napi::Object o = present(info, 2) ? info[2].As<Napi::Object>() : Napi::Object::New(info.Env());
    double lr = option(o, "lr", 1e-3);
    OptimPtr opt;
    if (kind == "adam" || kind == "adamw") {
      auto betas = std::make_tuple(option(o, "beta1", 0.9), option(o, "beta2", 0.999));
      if (kind == "adam") {
        opt = std::make_shared<torch::optim::Adam>(
            params, torch::optim::AdamOptions(lr).betas(betas).eps(option(o, "eps", 1e-8)).weight_decay(option(o, "weightDecay", 0.0)));
      } else {
        opt = std::make_shared<torch::optim::AdamW>(
            params, torch::optim::AdamWOptions(lr).betas(betas).eps(option(o, "eps", 1e-8)).weight_decay(option(o, "weightDecay", 1e-2)));
      }
    } else if (kind == "sgd") {
      Napi::Value nv = o.Get("nesterov");
      bool nesterov = nv.IsBoolean() && nv.As<Napi::Boolean>().Value();
      opt = std::make_shared<torch::optim::SGD>(params, torch::optim::SGDOptions(lr)
                                                            .momentum(option(o, "momentum", 0.0))
                                                            .dampening(option(o, "dampening", 0.0))
                                                            .weight_decay(option(o, "weightDecay", 0.0))
                                                            .nesterov(nesterov));
    } else {
      throw Napi::TypeError::New(info.Env(), "optimizerCreate: unknown optimizer \"" + kind + "\" (expected adam, adamw or sgd)");
    }
    return Napi::External<OptimPtr>::New(info.Env(), new OptimPtr(opt), [](Napi::Env, OptimPtr* p) { delete p; });
  });
  def(env, exports, "optimizerStep", [](CI info) -> Napi::Value {
    optimArg(info, 0, "optimizerStep")->step();
    return info.Env().Undefined();
  });
  // Gradients are dropped (set to none), as PyTorch does by default, so no zero-filled buffers are kept between steps.
  def(env, exports, "optimizerZeroGrad", [](CI info) -> Napi::Value {
    for (auto& g : optimArg(info, 0, "optimizerZeroGrad")->param_groups())
      for (auto& p : g.params()) p.mutable_grad().reset();
    return info.Env().Undefined();
  });
  def(env, exports, "optimizerSetLr", [](CI info) -> Napi::Value {
    double lr = numArg(info, 1, "optimizerSetLr");
    if (!(lr >= 0)) throw Napi::RangeError::New(info.Env(), "optimizerSetLr: lr must be >= 0");
    for (auto& g : optimArg(info, 0, "optimizerSetLr")->param_groups()) g.options().set_lr(lr);
    return info.Env().Undefined();
  });
  def(env, exports, "optimizerGetLr", [](CI info) -> Napi::Value {
    return Napi::Number::New(info.Env(), optimArg(info, 0, "optimizerGetLr")->param_groups().at(0).options().get_lr());
  });
  def(env, exports, "optimizerSave", [](CI info) -> Napi::Value {
    OptimPtr& o = optimArg(info, 0, "optimizerSave");
    torch::serialize::OutputArchive archive;
    o->save(archive);
    archive.save_to(strArg(info, 1, "optimizerSave"));
    return info.Env().Undefined();
  });
  def(env, exports, "optimizerLoad", [](CI info) -> Napi::Value {
    OptimPtr& o = optimArg(info, 0, "optimizerLoad");
    torch::serialize::InputArchive archive;
    archive.load_from(strArg(info, 1, "optimizerLoad"));
    o->load(archive);
    return info.Env().Undefined();
  });
  // Scale all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping.
  def(env, exports, "clipGradNorm", [](CI info) -> Napi::Value {
    std::vector<at::Tensor> params = tensorListArg(info, 0, "clipGradNorm");
    return Napi::Number::New(info.Env(), torch::nn::utils::clip_grad_norm_(params, numArg(info, 1, "clipGradNorm")));
  });
}

}  // namespace mlf
