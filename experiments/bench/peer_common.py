"""What the PyTorch peers of graft's step benchmarks share (dann_step_pytorch.py,
resnet50_step_pytorch.py): the gradient-reversal layer and an endless batch
stream that draws as graft's BatchStream does. Imported from the scripts'
own folder, which Python puts first on the import path."""
import torch


class Reverse(torch.autograd.Function):
    """Identity forward, gradient times -lam backward (Ganin et al.)."""

    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


class Stream:
    """Endless batches: a fresh permutation each epoch, like graft's BatchStream.
    `prepare` turns the stored inputs of a batch into the network's inputs."""

    def __init__(self, x, y, batch, prepare=lambda x: x):
        self.x, self.y, self.batch, self.prepare = x, y, batch, prepare
        self.order, self.position = torch.randperm(len(x)), 0

    def next(self):
        if self.position + self.batch > len(self.x):
            self.order, self.position = torch.randperm(len(self.x)), 0
        index = self.order[self.position:self.position + self.batch]
        self.position += self.batch
        return self.prepare(self.x.index_select(0, index)), (self.y.index_select(0, index) if self.y is not None else None)
