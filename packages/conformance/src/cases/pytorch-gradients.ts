// Expected gradients, from PyTorch, for the conformance cases that skip finite differences (their
// `noFiniteDifferences` says why), so no gradient rule there is checked only against itself.
//
// Each entry is, per input of the case, the gradient of sum(output * weights) at the case's seeded
// inputs and output weights (`hostInputs`, `outputWeights`, rounded to float32), computed once in
// float64 with torch 1.13 autograd on the same function (torch.sigmoid, torch.maximum, torch.amax,
// torch.where, torch.clamp, F.elu, F.log_softmax, torch.logsumexp, F.logsigmoid for BCE with logits,
// PyTorch's label-smoothing formula for crossEntropy, ...) and pasted here as literals; null where
// the input takes no gradient. A long gradient lists a sample of its elements by index.
//
// One deliberate difference: PyTorch's F.binary_cross_entropy backward uses (p - y) / max(p(1 - p),
// 1e-12) and unclamped logs for the target, which is not the derivative of its own clamped-log
// loss at p = 0 or 1; that case holds the exact derivative of -(y clamp(log p, -100) + (1 - y)
// clamp(log(1 - p), -100)), computed in torch from that formula.
//
// Changing a case's inputs changes its seeded values: recompute its entry (and keep this file in
// step with the cases' names, which the meta-test checks).

/** Per input: every element, a sample of elements by index, or null (no gradient). */
export type ExpectedGradient = readonly number[] | Readonly<Record<number, number>> | null;

export const PYTORCH_GRADIENTS: Readonly<Record<string, readonly ExpectedGradient[]>> = {
  'sigmoid at +-1e4 stays finite': [[0, -2.038146276e-24, 0, 0]],
  'tanh at +-1e4 stays finite': [[0, 0, 0, 0]],
  'relu keeps NaN and Infinity; 0 and -0 give 0': [[0.2627304792, 0, 0, 0, -0.3534859419, 0, -0.5285323858]],
  'relu gradient at the kink is 0': [[0, 0, -0.2541381121]],
  'cast float32 -> int32 truncates toward zero': [null],
  // torch.round / floor / ceil / trunc: zeros_like(grad), NaN and infinite inputs included
  'round breaks ties to even': [[0, 0, 0, 0, 0, 0, 0, 0, 0]],
  'floor, ceil, trunc and round of whole numbers, infinities and NaN': [[0, 0, 0, 0, 0, 0, 0]],
  'maximum with ties shares the gradient': [
    [0.4385789633, 0.2842810154, -0.4923158884, 0],
    [0.4385789633, 0, -0.4923158884, -0.4997446537],
  ],
  'pow with zero exponents takes a zero base gradient': [[0, 0, 0.2448072433], null],
  'pow with zero base': [null, [0, 0, 1.173281907]],
  'where with a scalar branch keeps NaN and Infinity of the other': [
    null,
    [0, 0, 0.8077044487, 0.9790041447, 0, 0],
    [0.09232640266],
  ],
  'clamp (composite)': [[0, 0, 0, 0, 0, 0.9268803596, 0, 0.04242575169, 0, 0, -0.5403311253, 0]],
  'max with ties shares the gradient': [[0, -0.05531650782, -0.05531650782, 0.121532321, 0.121532321, 0]],
  'logsumexp of extreme logits': [[0.2878185511, 0, 0, 0.3006889423, 0.3006889423, 0.3006889423]],
  'matmul 33x17x9 (blocking edges)': [
    {
      0: -1.161636735,
      47: -0.2548800766,
      94: -1.088921566,
      141: 3.050758238,
      188: 1.945783431,
      235: 2.937426009,
      282: -0.7488330115,
      329: -0.6443045672,
      376: -0.6103491337,
      423: -1.969817033,
      470: -3.215887761,
      517: -0.5787821793,
      560: -2.848186395,
    },
    { 0: 4.517793063, 47: 0.649114443, 94: 4.843612672, 141: 1.506863092, 152: 3.121081158 },
  ],
  'elu at 1e4 has a finite gradient': [[-0.9336047173, 0, -0.2223829031]],
  'logSoftmax of extreme logits': [
    [1.389513493, -0.9559875727, -0.4335259199, -0.2926533222, -0.5612903833, 0.8539437056],
  ],
  'binaryCrossEntropy at 0 and 1 (log clamped at -100)': [
    [0, 0, 0.7181119919, 0.4120215178, -5.79849599e29, -0.9277099371],
    [86.98915243, 53.4052968, 71.81119919, 41.20215178, 40.05459141, 0],
  ],
  'binaryCrossEntropyWithLogits at logits of +-1e4': [
    [-0.3715883493, -0.3369863033, 0, 0, 0, 1.342671037e-13, 6.48314679e-14, 0.3844274336],
    [3715.883493, 3369.863033, -9654.333591, 3304.871917, 0, 14.3484199, 20.78459501, -54.91820574],
    [0, 1684.931517, 0, 0, 0.3388147551, -4.475570122e-14, 0, 6.128997178e-45],
  ],
  'crossEntropy class indices at logits of +-1e4 (smoothed, weighted)': [
    [
      -1.389126627, 1.376833471, 0.01229315599, 0.8887688955, -0.420578138, -0.4681907574, 0.01916935841, 0.03833871682,
      -0.05750807524,
    ],
    [-17871.84075, -14055.89708, -245.8851215],
  ],
  'crossEntropy probability targets at logits of +-1e4': [
    [0.126694262, -0.126694262, 0, 0.4186929464, -0.2093464732, -0.2093464732],
    [0, 5067.770481, 2533.885241, -8374.149145, -0.2902158353, -0.2902158353],
  ],
  // F.gaussian_nll_loss(full=True, eps=0.3): the variances 0.1 and 0 lie below eps, whose clamp
  // PyTorch applies in value only (in place under no_grad), so their gradient is that at eps.
  'gaussianNLLLoss one variance per sample, full, eps 0.3 (variances below it)': [
    [
      0.4404189273, -0.2553779408, -0.47186467, -0.1563770363, -0.06130589519, -0.0748357765, 0.003960051809,
      -0.02714382142, -0.03428228751, -0.6051915679, -0.1175259664, -0.1235289443,
    ],
    [
      -0.4404189273, 0.2553779408, 0.47186467, 0.1563770363, 0.06130589519, 0.0748357765, -0.003960051809,
      0.02714382142, 0.03428228751, 0.6051915679, 0.1175259664, 0.1235289443,
    ],
    [3.426664555, -0.07776603886, -0.03532539787, 2.642735472],
  ],
  // F.cosine_similarity(dim=-1, eps=0.01): row 1's norm is below eps and row 2 is zero; PyTorch's
  // in-place clamp makes the norm's backward x / max(|x|, eps).
  'cosineSimilarity at and below eps, broadcast': [
    [
      -0.1130358885, -0.167115806, 0.09663460308, -0.1285506197, -22.75465964, -13.58895558, 9.120104205, -45.64612088,
      26.88081492, 16.12848959, -10.75232613, 53.76162984,
    ],
    [0.0174553068, 0.2395505544, -0.1769120624, -0.1159752356],
  ],
  // F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=[[[0.3, 0.6]]]) and F.adaptive_max_pool1d(y, 2)
  // of zeros: each window's gradient at its first element (torch's argmax), none split among ties
  'fractionalMaxPool2d and adaptiveMaxPool1d on ties (zeros): the gradient to the first maximum only': [
    [-0.06244766712, 0, -0.7248336077, 0, 0, 0, 0, 0, 0.8618376255, 0, 0.2409428358, 0, 0, 0, 0, 0],
    null,
    [-0.8372305632, 0, -0.6854556799, 0, 0],
  ],
  // torch.nn.utils.spectral_norm(n_power_iterations=2) in training mode, its weight_u and weight_v
  // set to the case's initial u and v (Myelin's draws from Generator(7), normalized in float32)
  'spectralNorm on a Linear in training mode: two power-iteration steps (without gradient) update u and v before the forward':
    [
      [0.08679001556, 0.3528798801, -0.3282490476, -0.1565217016, -0.3178011572, -0.1325751344],
      [
        0.2486015018, -0.1030309732, 0.453242654, 0.1414807999, -0.3414043098, 0.599642593, 0.2589032416, 0.5166747948,
        -0.2828500576, 0.3312086236, 0.03560658375, 0.4872804363,
      ],
      [0.07739365101, 0.5780417919, -1.096889496, -0.3157513142],
    ],
};
