// The recurrent cells: one LSTM or GRU step (after its matmuls) and its backward, one kernel each
// instead of some twenty composed ops (the gate slices and their zero-padded gradients among
// them). This addon's own entry points: core composes the step on every other backend.
#include <string>

#include "ops.h"

namespace myelin {

namespace {

/** A float matrix [rows, cols] of `dtype`: its shape and dtype, as errors name them. */
std::string describe(const Tensor& t) { return format_shape(t.shape, t.rank) + " " + DTYPE_NAMES[t.dtype]; }

/** x must be a float32 or float64 matrix; returns its rows. */
i64 float_matrix(const Tensor& x, const char* op, const char* what, const char* layout) {
  if (!is_float(x.dtype)) throw unsupported(op, x.dtype);
  if (x.rank != 2)
    throw shape_error(std::string(op) + ": " + what + " must be " + layout + ", got " + describe(x));
  return x.shape[0];
}

/** t must be [rows, cols] of `dtype`. */
void expect_matrix(const Tensor& t, i64 rows, i64 cols, int dtype, const char* op, const char* what, const char* layout) {
  if (t.dtype != dtype || t.rank != 2 || t.shape[0] != rows || t.shape[1] != cols) {
    const i64 shape[2] = {rows, cols};
    throw shape_error(std::string(op) + ": " + what + " is " + describe(t) + ", expected " + format_shape(shape, 2) + " " +
                      DTYPE_NAMES[dtype] + " (" + layout + ")");
  }
}

/** The hidden size of a gates matrix [batch, gates * hidden] (its columns split into `gates` blocks). */
i64 hidden_of(const Tensor& g, int gates, const char* op, const char* what, const char* layout) {
  float_matrix(g, op, what, layout);
  if (g.shape[1] % gates != 0)
    throw shape_error(std::string(op) + ": " + what + " is " + describe(g) + ", expected " + layout + " (its columns a multiple of " +
                      std::to_string(gates) + ")");
  return g.shape[1] / gates;
}

struct LstmCall {
  const Tensor& gates;
  const Tensor& state;
  i64 batch, hidden;
};

/** gates [B, 4H] and state [B, 2H] of one float dtype, from arguments `first` and `first + 1`. */
LstmCall read_lstm(Args& a, int first, const char* op) {
  const Tensor& gates = a.tensor(first);
  const Tensor& state = a.tensor(first + 1);
  const i64 hidden = hidden_of(gates, 4, op, "gates", "[batch, 4 hidden]");
  const i64 batch = gates.shape[0];
  expect_matrix(state, batch, 2 * hidden, gates.dtype, op, "state", "[batch, 2 hidden] = [h | c], as the gates say");
  return {gates, state, batch, hidden};
}

struct GruCall {
  const Tensor& gx;
  const Tensor& gh;
  const Tensor& h;
  i64 batch, hidden;
};

/** gx and gh [B, 3H] and h [B, H] of one float dtype, from arguments `first` to `first + 2`. */
GruCall read_gru(Args& a, int first, const char* op) {
  const Tensor& gx = a.tensor(first);
  const Tensor& gh = a.tensor(first + 1);
  const Tensor& h = a.tensor(first + 2);
  const i64 hidden = hidden_of(gx, 3, op, "gx", "[batch, 3 hidden]");
  const i64 batch = gx.shape[0];
  expect_matrix(gh, batch, 3 * hidden, gx.dtype, op, "gh", "[batch, 3 hidden], as gx");
  expect_matrix(h, batch, hidden, gx.dtype, op, "h", "[batch, hidden], as gx says");
  return {gx, gh, h, batch, hidden};
}

}  // namespace

/** lstmCell(gates [B, 4H], state [B, 2H]) -> state' [B, 2H] = [h' | c'] (the contract's lstmCell). */
napi_value LstmCell(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const LstmCall c = read_lstm(a, 0, "lstmCell");
    const int id = new_tensor(a.st, c.state.dtype, c.state.shape, 2);
    void* out = tensor_at(a.st, id).data();
    const void *pg = c.gates.data(), *ps = c.state.data();
    const KernelTable& k = *a.st->k;
    const i64 hidden = c.hidden;
    parallel_for(a.st, c.batch, hidden * 40,
                 [&, dtype = c.state.dtype](i64 b, i64 e) { k.lstm_cell_rows(dtype, pg, ps, out, hidden, b, e); });
    return make_int(env, id);
  });
}

/** lstmCellBackward(grad [B, 2H], gates, state) -> [dgates [B, 4H], dstate [B, 2H]]. */
napi_value LstmCellBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const LstmCall c = read_lstm(a, 1, "lstmCellBackward");
    const Tensor& grad = a.tensor(0);
    expect_matrix(grad, c.batch, 2 * c.hidden, c.state.dtype, "lstmCellBackward", "grad", "[batch, 2 hidden] = [dh | dc], as the state");
    const int ids[2] = {new_tensor(a.st, c.gates.dtype, c.gates.shape, 2), new_tensor(a.st, c.state.dtype, c.state.shape, 2)};
    void* dgates = tensor_at(a.st, ids[0]).data();
    void* dstate = tensor_at(a.st, ids[1]).data();
    const void *pd = grad.data(), *pg = c.gates.data(), *ps = c.state.data();
    const KernelTable& k = *a.st->k;
    const i64 hidden = c.hidden;
    parallel_for(a.st, c.batch, hidden * 60, [&, dtype = c.state.dtype](i64 b, i64 e) {
      k.lstm_cell_backward_rows(dtype, pd, pg, ps, dgates, dstate, hidden, b, e);
    });
    return id_array(env, ids, 2);
  });
}

/** gruCell(gx [B, 3H], gh [B, 3H], h [B, H]) -> h' [B, H] (the contract's gruCell). */
napi_value GruCell(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const GruCall c = read_gru(a, 0, "gruCell");
    const int id = new_tensor(a.st, c.h.dtype, c.h.shape, 2);
    void* out = tensor_at(a.st, id).data();
    const void *px = c.gx.data(), *pgh = c.gh.data(), *ph = c.h.data();
    const KernelTable& k = *a.st->k;
    const i64 hidden = c.hidden;
    parallel_for(a.st, c.batch, hidden * 30,
                 [&, dtype = c.h.dtype](i64 b, i64 e) { k.gru_cell_rows(dtype, px, pgh, ph, out, hidden, b, e); });
    return make_int(env, id);
  });
}

/** gruCellBackward(grad [B, H], gx, gh, h) -> [dgx [B, 3H], dgh [B, 3H], dh [B, H]]. */
napi_value GruCellBackward(napi_env env, napi_callback_info info) {
  return guarded(env, info, [&](Args& a) {
    const GruCall c = read_gru(a, 1, "gruCellBackward");
    const Tensor& grad = a.tensor(0);
    expect_matrix(grad, c.batch, c.hidden, c.h.dtype, "gruCellBackward", "grad", "[batch, hidden], as h");
    const int ids[3] = {new_tensor(a.st, c.gx.dtype, c.gx.shape, 2), new_tensor(a.st, c.gh.dtype, c.gh.shape, 2),
                        new_tensor(a.st, c.h.dtype, c.h.shape, 2)};
    void* dgx = tensor_at(a.st, ids[0]).data();
    void* dgh = tensor_at(a.st, ids[1]).data();
    void* dh = tensor_at(a.st, ids[2]).data();
    const void *pd = grad.data(), *px = c.gx.data(), *pgh = c.gh.data(), *ph = c.h.data();
    const KernelTable& k = *a.st->k;
    const i64 hidden = c.hidden;
    parallel_for(a.st, c.batch, hidden * 50, [&, dtype = c.h.dtype](i64 b, i64 e) {
      k.gru_cell_backward_rows(dtype, pd, px, pgh, ph, dgx, dgh, dh, hidden, b, e);
    });
    return id_array(env, ids, 3);
  });
}

}  // namespace myelin
