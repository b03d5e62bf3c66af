// Neural-network functional ops and losses over ATen (autograd-aware: every op here is differentiable by libtorch).
#include "addon.h"

#include <ATen/core/Reduction.h>

#include <cmath>

namespace mlf {

using CI = const Napi::CallbackInfo&;

static at::Tensor reduce(const at::Tensor& t, int64_t reduction) {
  if (reduction == at::Reduction::Mean) return t.mean();
  if (reduction == at::Reduction::Sum) return t.sum();
  return t;
}

static std::vector<at::Tensor> initialState(const at::Tensor& x, const std::vector<at::Tensor>& params, int64_t layers, bool bidirectional,
                                            bool batchFirst, int copies) {
  if (params.size() < 2) throw std::invalid_argument("recurrent: params must hold w_ih, w_hh[, b_ih, b_hh] per layer");
  int64_t batch = x.size(batchFirst ? 0 : 1);
  int64_t hidden = params[1].size(1);
  std::vector<at::Tensor> out;
  for (int k = 0; k < copies; k++) out.push_back(at::zeros({layers * (bidirectional ? 2 : 1), batch, hidden}, x.options()));
  return out;
}

void initFunctional(Napi::Env env, Napi::Object exports) {
  def(env, exports, "linear", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::linear(tensorArg(info, 0, "linear"), tensorArg(info, 1, "linear"), optTensorArg(info, 2, "linear")));
  });
  def(env, exports, "conv1d", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::conv1d(tensorArg(info, 0, "conv1d"), tensorArg(info, 1, "conv1d"), optTensorArg(info, 2, "conv1d"),
                                       intArg(info, 3, "conv1d", 1), intArg(info, 4, "conv1d", 0), intArg(info, 5, "conv1d", 1),
                                       intArg(info, 6, "conv1d", 1)));
  });
  // lstm(x, [h0, c0] | null, params, hasBiases, layers, dropout, train, bidirectional, batchFirst) -> [out, h, c]
  def(env, exports, "lstm", [](CI info) -> Napi::Value {
    const at::Tensor& x = tensorArg(info, 0, "lstm");
    std::vector<at::Tensor> params = tensorListArg(info, 2, "lstm");
    int64_t layers = intArg(info, 4, "lstm", 1);
    bool bidirectional = boolArg(info, 7, "lstm", false), batchFirst = boolArg(info, 8, "lstm", true);
    std::vector<at::Tensor> hx = present(info, 1) ? tensorListArg(info, 1, "lstm") : initialState(x, params, layers, bidirectional, batchFirst, 2);
    if (hx.size() != 2) throw Napi::TypeError::New(info.Env(), "lstm: argument 2 must be [h0, c0] or null");
    auto r = at::lstm(x, hx, params, boolArg(info, 3, "lstm", true), layers, numArg(info, 5, "lstm", 0.0), boolArg(info, 6, "lstm", false),
                      bidirectional, batchFirst);
    return tensorArray(info.Env(), {std::get<0>(r), std::get<1>(r), std::get<2>(r)});
  });
  // gru(x, h0 | null, params, hasBiases, layers, dropout, train, bidirectional, batchFirst) -> [out, h]
  def(env, exports, "gru", [](CI info) -> Napi::Value {
    const at::Tensor& x = tensorArg(info, 0, "gru");
    std::vector<at::Tensor> params = tensorListArg(info, 2, "gru");
    int64_t layers = intArg(info, 4, "gru", 1);
    bool bidirectional = boolArg(info, 7, "gru", false), batchFirst = boolArg(info, 8, "gru", true);
    at::Tensor h0 = present(info, 1) ? tensorArg(info, 1, "gru") : initialState(x, params, layers, bidirectional, batchFirst, 1)[0];
    auto r = at::gru(x, h0, params, boolArg(info, 3, "gru", true), layers, numArg(info, 5, "gru", 0.0), boolArg(info, 6, "gru", false),
                     bidirectional, batchFirst);
    return tensorArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
  });
  def(env, exports, "layerNorm", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::layer_norm(tensorArg(info, 0, "layerNorm"), intListArg(info, 1, "layerNorm"), optTensorArg(info, 2, "layerNorm"),
                                           optTensorArg(info, 3, "layerNorm"), numArg(info, 4, "layerNorm", 1e-5)));
  });
  // batchNorm(x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps); running stats update in place.
  def(env, exports, "batchNorm", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::batch_norm(tensorArg(info, 0, "batchNorm"), optTensorArg(info, 1, "batchNorm"), optTensorArg(info, 2, "batchNorm"),
                                           optTensorArg(info, 3, "batchNorm"), optTensorArg(info, 4, "batchNorm"), boolArg(info, 5, "batchNorm", false),
                                           numArg(info, 6, "batchNorm", 0.1), numArg(info, 7, "batchNorm", 1e-5), false));
  });
  def(env, exports, "dropout", [](CI info) -> Napi::Value {
    double p = numArg(info, 1, "dropout");
    if (p < 0 || p >= 1) throw Napi::RangeError::New(info.Env(), "dropout: p must be in [0, 1)");
    return wrap(info.Env(), at::dropout(tensorArg(info, 0, "dropout"), p, boolArg(info, 2, "dropout", false)));
  });
  def(env, exports, "softmax", [](CI info) -> Napi::Value { return wrap(info.Env(), at::softmax(tensorArg(info, 0, "softmax"), intArg(info, 1, "softmax", -1))); });
  def(env, exports, "logSoftmax", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::log_softmax(tensorArg(info, 0, "logSoftmax"), intArg(info, 1, "logSoftmax", -1)));
  });
  def(env, exports, "embedding", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::embedding(tensorArg(info, 0, "embedding"), tensorArg(info, 1, "embedding")));
  });
  // Scaled dot-product attention over (..., L, d) queries and (..., S, d) keys/values; causal masks keys after the query.
  def(env, exports, "attention", [](CI info) -> Napi::Value {
    const at::Tensor& q = tensorArg(info, 0, "attention");
    const at::Tensor& k = tensorArg(info, 1, "attention");
    const at::Tensor& v = tensorArg(info, 2, "attention");
    bool causal = boolArg(info, 3, "attention", false);
    double p = numArg(info, 4, "attention", 0.0);
    bool train = boolArg(info, 5, "attention", false);
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
    if (causal) {
      int64_t L = q.size(-2), S = k.size(-2);
      at::Tensor mask = at::ones({L, S}, q.options().dtype(at::kBool)).triu(S - L + 1);
      scores = scores.masked_fill(mask, -std::numeric_limits<double>::infinity());
    }
    at::Tensor w = at::softmax(scores, -1);
    if (p > 0) w = at::dropout(w, p, train);
    return wrap(info.Env(), at::matmul(w, v));
  });

  // Losses. reduction: "mean" (default) | "sum" | "none".
  def(env, exports, "bceWithLogits", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::binary_cross_entropy_with_logits(tensorArg(info, 0, "bceWithLogits"), tensorArg(info, 1, "bceWithLogits"),
                                                                 optTensorArg(info, 2, "bceWithLogits"), c10::nullopt,
                                                                 reductionArg(info, 3, "bceWithLogits")));
  });
  def(env, exports, "crossEntropy", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::cross_entropy_loss(tensorArg(info, 0, "crossEntropy"), tensorArg(info, 1, "crossEntropy").to(at::kLong),
                                                   optTensorArg(info, 2, "crossEntropy"), reductionArg(info, 3, "crossEntropy"), -100,
                                                   numArg(info, 4, "crossEntropy", 0.0)));
  });
  def(env, exports, "mse", [](CI info) -> Napi::Value {
    return wrap(info.Env(), at::mse_loss(tensorArg(info, 0, "mse"), tensorArg(info, 1, "mse"), reductionArg(info, 2, "mse")));
  });
  // pinball(pred (n, Q), target (n), quantiles number[Q]): mean over rows and quantiles of max(q*e, (q-1)*e), e = y - pred.
  def(env, exports, "pinball", [](CI info) -> Napi::Value {
    const at::Tensor& pred = tensorArg(info, 0, "pinball");
    const at::Tensor& y = tensorArg(info, 1, "pinball");
    std::vector<double> qs;
    if (!present(info, 2) || !info[2].IsArray()) throw Napi::TypeError::New(info.Env(), "pinball: argument 3 must be an array of quantiles");
    Napi::Array a = info[2].As<Napi::Array>();
    for (uint32_t k = 0; k < a.Length(); k++) {
      double q = a.Get(k).As<Napi::Number>().DoubleValue();
      if (!(q > 0 && q < 1)) throw Napi::RangeError::New(info.Env(), "pinball: quantiles must lie in (0, 1)");
      qs.push_back(q);
    }
    if (pred.dim() != 2 || pred.size(1) != static_cast<int64_t>(qs.size()))
      throw Napi::RangeError::New(info.Env(), "pinball: pred must be (n, " + std::to_string(qs.size()) + ")");
    at::Tensor q = at::tensor(qs, pred.options()).unsqueeze(0);
    at::Tensor e = y.reshape({-1, 1}) - pred;
    return wrap(info.Env(), reduce(at::maximum(q * e, (q - 1) * e), reductionArg(info, 3, "pinball")));
  });
  // Gaussian NLL with predicted log-variance (numerically stable parameterisation), including the log(2*pi)/2 constant.
  def(env, exports, "gaussianNll", [](CI info) -> Napi::Value {
    const at::Tensor& mu = tensorArg(info, 0, "gaussianNll");
    const at::Tensor& logVar = tensorArg(info, 1, "gaussianNll");
    const at::Tensor& y = tensorArg(info, 2, "gaussianNll");
    at::Tensor nll = 0.5 * (logVar + (y - mu).square() * at::exp(-logVar) + std::log(2 * M_PI));
    return wrap(info.Env(), reduce(nll, reductionArg(info, 3, "gaussianNll")));
  });
  // Student-t NLL with location mu, log-scale and degrees of freedom df (> 0, e.g. softplus(raw) + 2).
  def(env, exports, "studentTNll", [](CI info) -> Napi::Value {
    const at::Tensor& mu = tensorArg(info, 0, "studentTNll");
    const at::Tensor& logScale = tensorArg(info, 1, "studentTNll");
    const at::Tensor& df = tensorArg(info, 2, "studentTNll");
    const at::Tensor& y = tensorArg(info, 3, "studentTNll");
    at::Tensor z = (y - mu) * at::exp(-logScale);
    at::Tensor logPdf = at::lgamma((df + 1) * 0.5) - at::lgamma(df * 0.5) - 0.5 * at::log(df * M_PI) - logScale -
                        (df + 1) * 0.5 * at::log1p(z.square() / df);
    return wrap(info.Env(), reduce(-logPdf, reductionArg(info, 4, "studentTNll")));
  });
}

}  // namespace mlf
