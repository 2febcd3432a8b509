// The ONNX exporter (see onnx_export.h): a Graph helper that writes nodes,
// initializers and inputs into an onnx::GraphProto, one emit function per
// layer kind, and one function per model that adds its inputs and outputs.
#include "models/onnx_export.h"

#include "core/error.h"

#if GAN_HAVE_ONNX

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <initializer_list>
#include <variant>
#include <vector>

#include "core/io/atomic_file.h"
#include "core/version.h"

namespace gan {

namespace {

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>>;

// One graph under construction. Value names: model inputs and outputs by
// their documented names, a layer's output by its module path ("main.3"),
// initializers by prefix + parameter name ("G.main.3.weight").
class Graph {
 public:
  Graph(onnx::GraphProto* graph, std::string prefix) : g_(graph), prefix_(std::move(prefix)) {}

  // A node with one output, named `output`; returns it.
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
                   std::initializer_list<std::pair<const char*, Attribute>> attributes = {}) {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(output);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(output);
    for (const auto& [name, value] : attributes) {
      onnx::AttributeProto* a = n->add_attribute();
      a->set_name(name);
      if (const auto* i = std::get_if<int64_t>(&value)) {
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(*i);
      } else if (const auto* f = std::get_if<float>(&value)) {
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(*f);
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        a->set_type(onnx::AttributeProto::STRING);
        a->set_s(*s);
      } else {
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t v : std::get<std::vector<int64_t>>(value)) a->add_ints(v);
      }
    }
    return output;
  }

  // A model tensor (parameter or buffer) as an f32 initializer named prefix + name.
  std::string weight(const std::string& name, const Tensor& t) {
    return floats(prefix_ + name, t.shape(), t.detach().to(Device::cpu()).contiguous().to_vector<float>());
  }
  // A constant the export itself needs (not a model tensor).
  std::string floats(const std::string& name, const Shape& shape, const std::vector<float>& values) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t->add_dims(d);
    t->mutable_float_data()->Add(values.begin(), values.end());
    return name;
  }
  std::string int64s(const std::string& name, const std::vector<int64_t>& values) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    t->mutable_int64_data()->Add(values.begin(), values.end());
    return name;
  }

  // A graph input or output; a dimension is a size (>= 0) or a symbolic name.
  using Dim = std::variant<int64_t, std::string>;
  void input(const std::string& name, int elem_type, const std::vector<Dim>& dims) {
    describe(g_->add_input(), name, elem_type, dims);
  }
  void output(const std::string& value, const std::string& name, const std::vector<Dim>& dims) {
    node("Identity", {value}, name);
    describe(g_->add_output(), name, onnx::TensorProto::FLOAT, dims);
  }

 private:
  static void describe(onnx::ValueInfoProto* v, const std::string& name, int elem_type, const std::vector<Dim>& dims) {
    v->set_name(name);
    onnx::TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem_type);
    onnx::TensorShapeProto* shape = t->mutable_shape();
    for (const Dim& d : dims) {
      if (const auto* size = std::get_if<int64_t>(&d)) {
        shape->add_dim()->set_dim_value(*size);
      } else {
        shape->add_dim()->set_dim_param(std::get<std::string>(d));
      }
    }
  }

  onnx::GraphProto* g_;
  std::string prefix_;
};

std::string join(const std::string& path, const std::string& name) { return path.empty() ? name : path + "." + name; }

std::vector<int64_t> square(int64_t v, int n = 2) { return std::vector<int64_t>(static_cast<size_t>(n), v); }

std::string emit(Graph& g, const Module& m, const std::string& x, const std::string& path);

std::string emit_sequential(Graph& g, const Module& m, const std::string& x, const std::string& path) {
  std::string h = x;
  for (const auto& [name, child] : m.children()) h = emit(g, *child, h, join(path, name));
  return h;
}

std::string emit_conv(Graph& g, const Conv2d& c, const std::string& x, const std::string& path) {
  std::vector<std::string> in = {x, g.weight(join(path, "weight"), c.weight)};
  if (c.bias.defined()) in.push_back(g.weight(join(path, "bias"), c.bias));
  return g.node("Conv", in, path,
                {{"kernel_shape", std::vector<int64_t>{c.weight.shape()[2], c.weight.shape()[3]}},
                 {"strides", square(c.stride)},
                 {"pads", square(c.pad, 4)}});
}

std::string emit_conv_transpose(Graph& g, const ConvTranspose2d& c, const std::string& x, const std::string& path) {
  // ONNX's ConvTranspose weight is [in, out, k, k], the engine's layout.
  std::vector<std::string> in = {x, g.weight(join(path, "weight"), c.weight)};
  if (c.bias.defined()) in.push_back(g.weight(join(path, "bias"), c.bias));
  return g.node("ConvTranspose", in, path,
                {{"kernel_shape", std::vector<int64_t>{c.weight.shape()[2], c.weight.shape()[3]}},
                 {"strides", square(c.stride)},
                 {"pads", square(c.pad, 4)},
                 {"output_padding", square(c.output_padding)}});
}

std::string emit_batch_norm(Graph& g, const BatchNorm2d& b, const std::string& x, const std::string& path) {
  // Inference form: normalised with the running statistics (training_mode 0).
  return g.node("BatchNormalization",
                {x, g.weight(join(path, "weight"), b.weight), g.weight(join(path, "bias"), b.bias),
                 g.weight(join(path, "running_mean"), b.running_mean), g.weight(join(path, "running_var"), b.running_var)},
                path, {{"epsilon", static_cast<float>(b.eps)}});
}

std::string emit_instance_norm(Graph& g, const InstanceNorm2d& n, const std::string& x, const std::string& path) {
  // ONNX requires scale and bias; without affine parameters they are 1 and 0
  // (constants named after the layer, not model tensors).
  const Shape c = {n.channels};
  const std::string scale = n.weight.defined() ? g.weight(join(path, "weight"), n.weight)
                                               : g.floats(path + ".onnx_ones", c, std::vector<float>(n.channels, 1.0f));
  const std::string shift = n.bias.defined() ? g.weight(join(path, "bias"), n.bias)
                                             : g.floats(path + ".onnx_zeros", c, std::vector<float>(n.channels, 0.0f));
  return g.node("InstanceNormalization", {x, scale, shift}, path, {{"epsilon", static_cast<float>(n.eps)}});
}

std::string emit_reflection_pad(Graph& g, const ReflectionPad2d& p, const std::string& x, const std::string& path) {
  // pads: [begin of N, C, H, W, end of N, C, H, W].
  const std::string pads = g.int64s(path + ".onnx_pads", {0, 0, p.pad, p.pad, 0, 0, p.pad, p.pad});
  return g.node("Pad", {x, pads}, path, {{"mode", std::string("reflect")}});
}

std::string emit_resnet_block(Graph& g, const Module& block, const std::string& x, const std::string& path) {
  const std::string body = emit_sequential(g, block, x, path);
  return g.node("Add", {x, body}, path);
}

std::string emit_unet_block(Graph& g, const UnetBlock& block, const std::string& x, const std::string& path) {
  // The encoder's leaky ReLU opens every block but the outermost and is what
  // the skip carries (models/pix2pix.h).
  const bool outermost = block.kind() == UnetBlock::Kind::Outermost;
  const std::string a = outermost ? x : g.node("LeakyRelu", {x}, path + ".enter", {{"alpha", 0.2f}});
  const std::string h = emit_sequential(g, block, a, path);  // down, inner, up
  return outermost ? h : g.node("Concat", {a, h}, path, {{"axis", int64_t{1}}});
}

std::string emit(Graph& g, const Module& m, const std::string& x, const std::string& path) {
  if (dynamic_cast<const Sequential*>(&m)) return emit_sequential(g, m, x, path);
  if (const auto* c = dynamic_cast<const Conv2d*>(&m)) return emit_conv(g, *c, x, path);
  if (const auto* c = dynamic_cast<const ConvTranspose2d*>(&m)) return emit_conv_transpose(g, *c, x, path);
  if (const auto* b = dynamic_cast<const BatchNorm2d*>(&m)) return emit_batch_norm(g, *b, x, path);
  if (const auto* n = dynamic_cast<const InstanceNorm2d*>(&m)) return emit_instance_norm(g, *n, x, path);
  if (const auto* p = dynamic_cast<const ReflectionPad2d*>(&m)) return emit_reflection_pad(g, *p, x, path);
  if (dynamic_cast<const ResnetBlock*>(&m)) return emit_resnet_block(g, m, x, path);
  if (const auto* u = dynamic_cast<const UnetBlock*>(&m)) return emit_unet_block(g, *u, x, path);
  if (const auto* l = dynamic_cast<const Linear*>(&m)) {
    std::vector<std::string> in = {x, g.weight(join(path, "weight"), l->weight)};
    if (l->bias.defined()) in.push_back(g.weight(join(path, "bias"), l->bias));
    return g.node("Gemm", in, path, {{"transB", int64_t{1}}});
  }
  if (dynamic_cast<const Dropout*>(&m)) return x;  // inference: the identity
  if (dynamic_cast<const ReLU*>(&m)) return g.node("Relu", {x}, path);
  if (const auto* l = dynamic_cast<const LeakyReLU*>(&m))
    return g.node("LeakyRelu", {x}, path, {{"alpha", static_cast<float>(l->slope)}});
  if (dynamic_cast<const Tanh*>(&m)) return g.node("Tanh", {x}, path);
  if (dynamic_cast<const Sigmoid*>(&m)) return g.node("Sigmoid", {x}, path);
  if (dynamic_cast<const Flatten*>(&m)) return g.node("Flatten", {x}, path, {{"axis", int64_t{1}}});
  throw ValueError("ONNX export: no ONNX form for the layer " + m.type_name() + " at '" + path +
                   "' (models/onnx_export.cpp has one emit function per layer kind; add one)");
}

// The only child of a model that wraps one Sequential ("main", "model").
const Module& body_of(const Module& model) {
  GAN_CHECK(model.children().size() == 1, ValueError, "ONNX export: ", model.type_name(),
            " has ", model.children().size(), " children, expected its one network body");
  return *model.children()[0].second;
}

// The [N, K] one-hot code of the int64 input "class": rows of an identity
// matrix gathered by class id (what one_hot() computes in the engine).
std::string class_codes(Graph& g, int64_t classes) {
  std::vector<float> eye(static_cast<size_t>(classes * classes), 0.0f);
  for (int64_t k = 0; k < classes; ++k) eye[static_cast<size_t>(k * classes + k)] = 1.0f;
  g.input("class", onnx::TensorProto::INT64, {std::string("N")});
  const std::string table = g.floats("onnx_one_hot_table", {classes, classes}, eye);
  return g.node("Gather", {table, "class"}, "class_one_hot", {{"axis", int64_t{0}}});
}

void write_model(const std::string& path, onnx::ModelProto& model) {
  std::string bytes;
  GAN_CHECK(model.SerializeToString(&bytes), ValueError, "ONNX export: the model for ", path,
            " could not be serialised (over protobuf's 2 GB limit?)");
  io::write_file_atomic(path, bytes.data(), bytes.size());
}

// A model proto with the header fields set; graph() to fill.
onnx::ModelProto new_model(const std::string& graph_name, const std::string& doc) {
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("gan-engine");
  model.set_producer_version(version());
  model.set_doc_string(doc);
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  model.mutable_graph()->set_name(graph_name);
  return model;
}

// Image-to-image networks: image [N, C, H, W] in, the body's output out.
void export_image_network(const std::string& path, const Module& net, int64_t in_channels, const std::string& prefix,
                          const std::string& output, const std::vector<Graph::Dim>& out_dims,
                          const std::string& doc) {
  onnx::ModelProto model = new_model(net.type_name(), doc);
  Graph g(model.mutable_graph(), prefix);
  g.input("image", onnx::TensorProto::FLOAT, {std::string("N"), in_channels, std::string("H"), std::string("W")});
  const Module& body = body_of(net);
  const std::string h = emit(g, body, "image", net.children()[0].first);
  g.output(h, output, out_dims);
  write_model(path, model);
}

}  // namespace

bool onnx_export_available() { return true; }

void export_onnx(const std::string& path, const DcganGenerator& gen, const std::string& prefix) {
  const DcganConfig& c = gen.config;
  onnx::ModelProto model = new_model("DcganGenerator", "DCGAN generator: z [N, nz] (and class [N]) -> image in [-1, 1]");
  Graph g(model.mutable_graph(), prefix);
  g.input("z", onnx::TensorProto::FLOAT, {std::string("N"), c.nz});
  std::string h = "z";
  if (c.num_classes > 0) h = g.node("Concat", {"z", class_codes(g, c.num_classes)}, "z_and_class", {{"axis", int64_t{1}}});
  // [N, nz (+ K)] -> [N, nz (+ K), 1, 1]: the first transposed conv's input.
  h = g.node("Unsqueeze", {h, g.int64s("onnx_unsqueeze_axes", {2, 3})}, "z_grid");
  h = emit(g, body_of(gen), h, gen.children()[0].first);
  g.output(h, "image", {std::string("N"), c.channels, c.height(), c.width()});
  write_model(path, model);
}

void export_onnx(const std::string& path, const DcganDiscriminator& d, const std::string& prefix) {
  const DcganConfig& c = d.config;
  onnx::ModelProto model = new_model("DcganDiscriminator", "DCGAN discriminator: image (and class [N]) -> logits [N, 1]");
  Graph g(model.mutable_graph(), prefix);
  g.input("image", onnx::TensorProto::FLOAT, {std::string("N"), c.channels, c.height(), c.width()});
  std::string h = "image";
  if (c.num_classes > 0) {
    // The class as num_classes constant planes (plane y all ones): the code
    // [N, K, 1, 1] times ones [1, K, H, W], as the engine's expand.
    const int64_t k = c.num_classes, sh = c.height(), sw = c.width();
    const std::string code = g.node("Unsqueeze", {class_codes(g, k), g.int64s("onnx_unsqueeze_axes", {2, 3})},
                                    "class_code_grid");
    const std::string ones = g.floats("onnx_class_plane_ones", {1, k, sh, sw}, std::vector<float>(size_t(k * sh * sw), 1.0f));
    const std::string planes = g.node("Mul", {code, ones}, "class_planes");
    h = g.node("Concat", {"image", planes}, "image_and_class", {{"axis", int64_t{1}}});
  }
  h = emit(g, body_of(d), h, d.children()[0].first);
  g.output(h, "logits", {std::string("N"), int64_t{1}});
  write_model(path, model);
}

void export_onnx(const std::string& path, const ResnetGenerator& gen, const std::string& prefix) {
  export_image_network(path, gen, gen.config.in_channels, prefix, "image_out",
                       {std::string("N"), gen.config.out_channels, std::string("H"), std::string("W")},
                       "CycleGAN ResNet generator: image [N, C, H, W] in [-1, 1] -> translated image");
}

void export_onnx(const std::string& path, const UnetGenerator& gen, const std::string& prefix) {
  export_image_network(path, gen, gen.config.in_channels, prefix, "image_out",
                       {std::string("N"), gen.config.out_channels, std::string("H"), std::string("W")},
                       "pix2pix U-Net generator (dropout off): image [N, C, H, W] in [-1, 1] -> translated image");
}

void export_onnx(const std::string& path, const PatchDiscriminator& d, const std::string& prefix) {
  export_image_network(path, d, d.config.in_channels, prefix, "logits",
                       {std::string("N"), int64_t{1}, std::string("H_out"), std::string("W_out")},
                       "PatchGAN discriminator: image [N, C, H, W] -> a grid of logits");
}

}  // namespace gan

#else  // a build without libonnx-dev

namespace gan {

namespace {

[[noreturn]] void no_onnx() {
  throw ValueError(
      "this build has no ONNX export: install libonnx-dev, libprotobuf-dev and protobuf-compiler "
      "(scripts/setup.sh does) and rebuild; --format safetensors works without them");
}

}  // namespace

bool onnx_export_available() { return false; }
void export_onnx(const std::string&, const DcganGenerator&, const std::string&) { no_onnx(); }
void export_onnx(const std::string&, const DcganDiscriminator&, const std::string&) { no_onnx(); }
void export_onnx(const std::string&, const ResnetGenerator&, const std::string&) { no_onnx(); }
void export_onnx(const std::string&, const UnetGenerator&, const std::string&) { no_onnx(); }
void export_onnx(const std::string&, const PatchDiscriminator&, const std::string&) { no_onnx(); }

}  // namespace gan

#endif
