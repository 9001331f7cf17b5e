"""CTC loss cases for ctc.test.ts: torch.nn.functional.ctc_loss in float64 on log_softmax(logits).

Each case stores the logits, targets (padded [N, S] or concatenated 1-D), the lengths, the options,
the loss and the gradient with respect to the logits. Gradients are taken through log_softmax, as
CTC is used: PyTorch's native kernel returns d loss / d log_probs plus exp(log_probs), a term that
log_softmax's backward removes, so only the logits' gradient is comparable.
"""
import torch
import torch.nn.functional as F

from ts_fixture import write_fixture

torch.manual_seed(20261206)
torch.set_default_dtype(torch.float64)

cases = []


def add_case(name, T, N, C, targets, input_lengths, target_lengths, blank=0, reduction='mean',
             zero_infinity=False, unbatched=False, grad=True):
    logits = torch.randn(T, C) * 2 if unbatched else torch.randn(T, N, C) * 2
    logits.requires_grad_(True)
    log_probs = F.log_softmax(logits, dim=-1)
    target_tensor = torch.tensor(targets, dtype=torch.long)
    # Unbatched input takes its lengths as 0-d tensors.
    lengths = (torch.tensor(input_lengths), torch.tensor(target_lengths)) if unbatched else (input_lengths, target_lengths)
    loss = F.ctc_loss(log_probs, target_tensor, *lengths, blank=blank,
                      reduction=reduction, zero_infinity=zero_infinity)
    case = {
        'name': name,
        'logits': logits.tolist(),
        'targets': targets,
        'inputLengths': input_lengths,
        'targetLengths': target_lengths,
        'blank': blank,
        'reduction': reduction,
        'zeroInfinity': zero_infinity,
        'loss': loss.tolist() if loss.dim() > 0 else loss.item(),
    }
    if grad:
        weights = torch.linspace(-1, 1, loss.numel()).reshape(loss.shape) if loss.dim() > 0 else torch.tensor(1.0)
        (loss * weights).sum().backward()
        case['outputWeights'] = weights.tolist() if loss.dim() > 0 else 1.0
        case['logitsGradient'] = logits.grad.tolist()
    cases.append(case)


# A batch with padded targets of different lengths and inputs of different lengths.
add_case('padded targets, mean', 12, 3, 5, [[1, 2, 2, 3], [4, 1, 0, 0], [2, 0, 0, 0]], [12, 10, 7], [4, 2, 1])
add_case('padded targets, sum', 12, 3, 5, [[1, 2, 2, 3], [4, 1, 0, 0], [2, 0, 0, 0]], [12, 10, 7], [4, 2, 1],
         reduction='sum')
add_case('padded targets, none', 9, 2, 4, [[1, 1, 1], [3, 2, 0]], [9, 8], [3, 2], reduction='none')
# The same sequences as one concatenated 1-D target.
add_case('concatenated targets, none', 12, 3, 5, [1, 2, 2, 3, 4, 1, 2], [12, 10, 7], [4, 2, 1], reduction='none')
# Repeated labels need a blank between them: 'aaa' in 5 steps is just possible.
add_case('repeats at the limit', 5, 1, 3, [[1, 1, 1]], [5], [3], reduction='none')
# A non-zero blank index.
add_case('blank 4', 10, 2, 5, [[0, 3, 0], [2, 2, 0]], [10, 9], [3, 2], blank=4, reduction='none')
# An empty target: only blanks.
add_case('empty target', 6, 2, 4, [[2, 3], [0, 0]], [6, 4], [2, 0], reduction='none')
# Impossible alignments: 'aa' needs 3 steps, 'abc' needs 3; 2 steps give infinity (or 0 with zero_infinity).
add_case('impossible, zero_infinity', 6, 3, 4, [[1, 1, 0], [1, 2, 3], [2, 0, 0]], [2, 6, 2], [2, 3, 1],
         zero_infinity=True, reduction='none')
add_case('impossible, zero_infinity, mean', 6, 3, 4, [[1, 1, 0], [1, 2, 3], [2, 0, 0]], [2, 6, 2], [2, 3, 1],
         zero_infinity=True)
add_case('impossible, infinite loss', 6, 2, 4, [[1, 1], [1, 2]], [2, 6], [2, 2], reduction='none', grad=False)
# Unbatched [T, C] log-probabilities with a 1-D target.
add_case('unbatched', 8, 1, 6, [5, 1, 1, 2], 8, 4, unbatched=True)
# Longer sequences: many steps of the recursion.
add_case('long', 60, 2, 7, [[1, 2, 3, 4, 5, 6, 1, 1, 2, 2], [3, 3, 3, 0, 0, 0, 0, 0, 0, 0]], [60, 41], [10, 3])

write_fixture(__file__, 'losses/ctc-fixture.ts', 'PYTORCH_CTC', {'cases': cases})
