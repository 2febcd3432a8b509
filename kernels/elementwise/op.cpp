// Elementwise ops with broadcasting, and their gradients.
//
// Backward formulas are written with these same ops (plus sum_to, the adjoint
// of broadcasting), so they are differentiable again for create_graph.
#include "core/ops.h"
#include "core/dispatch.h"
#include "kernels/elementwise/elementwise.h"

namespace gan {

GAN_KERNEL(binary)
GAN_KERNEL(binary_scalar)
GAN_KERNEL(unary)
GAN_KERNEL(fill)
GAN_KERNEL(strided_copy)

// ---- the data movement Tensor itself uses (declared in core/dispatch.h) ----

void detail::strided_copy(const Tensor& src, const Tensor& dst) {
  if (src.numel() == 0) return;
  kernel::strided_copy(src, layout_of(src), dst, layout_of(dst));
}

void detail::fill_contiguous(const Tensor& t, double value) {
  if (t.numel() == 0) return;
  kernel::fill(t, value, t.numel());
}

namespace {

const char* binary_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
  }
  return "binary";
}

Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  detail::check_defined(name, a, "the first operand");
  detail::check_defined(name, b, "the second operand");
  detail::check_same_device_dtype(name, {&a, &b});
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  if (out.numel() == 0) return out;

  // Right-align a and b with the output; a broadcast dimension gets stride 0.
  BroadcastIndexer idx;
  idx.rank = static_cast<int>(out_shape.size());
  GAN_CHECK(idx.rank <= kMaxDims, ShapeError, name, ": rank ", idx.rank, " exceeds ", kMaxDims);
  for (int i = 0; i < idx.rank; ++i) {
    idx.shape[i] = out_shape[i];
    const int ia = i - (idx.rank - static_cast<int>(a.dim()));
    const int ib = i - (idx.rank - static_cast<int>(b.dim()));
    idx.a_strides[i] = (ia >= 0 && a.shape()[ia] != 1) ? a.strides()[ia] : 0;
    idx.b_strides[i] = (ib >= 0 && b.shape()[ib] != 1) ? b.strides()[ib] : 0;
  }
  kernel::binary(op, a, b, out, idx, out.numel());
  return out;
}

struct BinaryBackward : Node {
  BinaryOp op;
  explicit BinaryBackward(BinaryOp o) : op(o) {}
  const char* name() const override {
    switch (op) {
      case BinaryOp::Add: return "AddBackward";
      case BinaryOp::Sub: return "SubBackward";
      case BinaryOp::Mul: return "MulBackward";
      case BinaryOp::Div: return "DivBackward";
    }
    return "BinaryBackward";
  }
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor& a = inputs[0];
    const Tensor& b = inputs[1];
    Tensor ga, gb;
    const bool need_a = needs_grad(0), need_b = needs_grad(1);
    switch (op) {
      case BinaryOp::Add:
        if (need_a) ga = g;
        if (need_b) gb = g;
        break;
      case BinaryOp::Sub:
        if (need_a) ga = g;
        if (need_b) gb = neg(g);
        break;
      case BinaryOp::Mul:
        if (need_a) ga = mul(g, b);
        if (need_b) gb = mul(g, a);
        break;
      case BinaryOp::Div:
        if (need_a) ga = div(g, b);
        if (need_b) gb = neg(div(mul(g, a), square(b)));
        break;
    }
    return {ga.defined() ? sum_to(ga, a.shape()) : ga, gb.defined() ? sum_to(gb, b.shape()) : gb};
  }
};

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(op, a, b);
  record(out, std::make_shared<BinaryBackward>(op), {a, b});
  return out;
}

Tensor scalar_forward(BinaryOp op, const Tensor& a, double s, bool scalar_first) {
  detail::check_defined(binary_name(op), a, "the operand");
  Tensor src = a;
  detail::check_backend_dtype(binary_name(op), a);
  if (!src.is_contiguous()) src = src.detach().contiguous();
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  if (out.numel() == 0) return out;
  kernel::binary_scalar(op, src, s, out, out.numel(), scalar_first);
  return out;
}

struct ScalarBackward : Node {
  BinaryOp op;
  double s;
  bool scalar_first;
  ScalarBackward(BinaryOp o, double v, bool f) : op(o), s(v), scalar_first(f) {}
  const char* name() const override { return "ScalarOpBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor& a = inputs[0];
    switch (op) {
      case BinaryOp::Add: return {g};
      case BinaryOp::Sub: return {scalar_first ? neg(g) : g};
      case BinaryOp::Mul: return {mul(g, s)};
      case BinaryOp::Div: return {scalar_first ? neg(div(mul(g, s), square(a))) : div(g, s)};
    }
    return {Tensor()};
  }
};

Tensor scalar_op(BinaryOp op, const Tensor& a, double s, bool scalar_first) {
  Tensor out = scalar_forward(op, a, s, scalar_first);
  record(out, std::make_shared<ScalarBackward>(op, s, scalar_first), {a});
  return out;
}

Tensor unary_forward(UnaryOp op, const Tensor& a, const char* name) {
  detail::check_defined(name, a, "the operand");
  detail::check_backend_dtype(name, a);
  const Tensor src = a.is_contiguous() ? a : a.detach().contiguous();
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  if (out.numel() == 0) return out;
  kernel::unary(op, src, out, out.numel());
  return out;
}

struct UnaryBackward : Node {
  UnaryOp op;
  explicit UnaryBackward(UnaryOp o) : op(o) {}
  const char* name() const override {
    switch (op) {
      case UnaryOp::Neg: return "NegBackward";
      case UnaryOp::Exp: return "ExpBackward";
      case UnaryOp::Log: return "LogBackward";
      case UnaryOp::Sqrt: return "SqrtBackward";
      case UnaryOp::Abs: return "AbsBackward";
      case UnaryOp::Square: return "SquareBackward";
      case UnaryOp::Sign: return "SignBackward";
    }
    return "UnaryBackward";
  }
  std::vector<Tensor> backward(const Tensor& g) override {
    const Tensor& a = inputs[0];
    switch (op) {
      case UnaryOp::Neg: return {neg(g)};
      case UnaryOp::Exp: return {mul(g, exp(a))};
      case UnaryOp::Log: return {div(g, a)};
      case UnaryOp::Sqrt: return {div(mul(g, 0.5), sqrt(a))};
      case UnaryOp::Abs: return {mul(g, sign(a))};
      case UnaryOp::Square: return {mul(g, mul(a, 2.0))};
      case UnaryOp::Sign: return {Tensor()};
    }
    return {Tensor()};
  }
};

Tensor unary(UnaryOp op, const Tensor& a, const char* name) {
  Tensor out = unary_forward(op, a, name);
  if (op == UnaryOp::Sign) {
    record(out, std::make_shared<PiecewiseConstantNode>("SignBackward"), {a});
  } else {
    record(out, std::make_shared<UnaryBackward>(op), {a});
  }
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }
Tensor add(const Tensor& a, double s) { return scalar_op(BinaryOp::Add, a, s, false); }
Tensor sub(const Tensor& a, double s) { return scalar_op(BinaryOp::Sub, a, s, false); }
Tensor rsub(double s, const Tensor& a) { return scalar_op(BinaryOp::Sub, a, s, true); }
Tensor mul(const Tensor& a, double s) { return scalar_op(BinaryOp::Mul, a, s, false); }
Tensor div(const Tensor& a, double s) { return scalar_op(BinaryOp::Div, a, s, false); }
Tensor rdiv(double s, const Tensor& a) { return scalar_op(BinaryOp::Div, a, s, true); }
Tensor neg(const Tensor& a) { return unary(UnaryOp::Neg, a, "neg"); }
Tensor exp(const Tensor& a) { return unary(UnaryOp::Exp, a, "exp"); }
Tensor log(const Tensor& a) { return unary(UnaryOp::Log, a, "log"); }
Tensor sqrt(const Tensor& a) { return unary(UnaryOp::Sqrt, a, "sqrt"); }
Tensor abs(const Tensor& a) { return unary(UnaryOp::Abs, a, "abs"); }
Tensor square(const Tensor& a) { return unary(UnaryOp::Square, a, "square"); }
Tensor sign(const Tensor& a) { return unary(UnaryOp::Sign, a, "sign"); }

}  // namespace gan
