using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace Ferry.Gateway.Hosting;

/// <summary>
/// The memory Kestrel's socket transport reads client bytes into. Kestrel's own pool lends 4 KiB blocks, so one
/// receive takes at most 4 KiB: a client uploading at speed cost the gateway a receive call per 4 KiB, two dozen per
/// 64 KiB message. This pool lends large blocks, so a receive takes what the socket holds, up to a block.
/// A connection holds a block while a frame it received is incomplete, so a large block per connection would let
/// many clients that each send a few bytes and stall pin a large block each. Large blocks are therefore lent up to
/// a budget; beyond it the pool lends small ones, and the memory those clients pin stays what Kestrel's would.
/// </summary>
internal sealed class ReceiveBlockPool : MemoryPool<byte>
{
    private const int SmallBlockSize = 4096;

    private readonly Lock _sync = new();
    private readonly Stack<Block> _large = new();
    private readonly Stack<Block> _small = new();
    private readonly int _largeSize;
    private readonly int _largeLimit;
    private readonly int _retainLarge;
    private readonly int _retainSmall;
    private int _largeLent;

    public ReceiveBlockPool(int blockSize, long budget)
    {
        _largeSize = blockSize;
        _largeLimit = (int)Math.Max(1, budget / blockSize);
        // Idle memory kept for the next burst: a quarter of the budget, and as much in small blocks.
        _retainLarge = Math.Max(1, _largeLimit / 4);
        _retainSmall = (int)Math.Max(1, budget / 4 / SmallBlockSize);
    }

    public override int MaxBufferSize => _largeSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, _largeSize);
        lock (_sync)
        {
            if (minBufferSize > SmallBlockSize || _largeLent < _largeLimit)
            {
                _largeLent++;
                return _large.TryPop(out var large) ? large.Lend() : new Block(this, _largeSize, isLarge: true);
            }

            return _small.TryPop(out var small) ? small.Lend() : new Block(this, SmallBlockSize, isLarge: false);
        }
    }

    private void Return(Block block)
    {
        lock (_sync)
        {
            if (block.IsLarge)
            {
                _largeLent--;
            }

            var spares = block.IsLarge ? _large : _small;
            if (spares.Count < (block.IsLarge ? _retainLarge : _retainSmall))
            {
                spares.Push(block);
            }
        }
    }

    // Shared by the transport's queues, each of which disposes what it was given: the blocks are left to the GC.
    protected override void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// Kestrel's socket transport asks this factory for a pool per I/O queue; all get the same one, so the budget
    /// bounds the listeners together, not each queue (one per core, up to 16).
    /// </summary>
    public sealed class Factory(int blockSize, long budget) : IMemoryPoolFactory<byte>
    {
        private readonly ReceiveBlockPool _pool = new(blockSize, budget);

        public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => _pool;
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly ReceiveBlockPool _pool;
        private bool _lent;

        public Block(ReceiveBlockPool pool, int size, bool isLarge)
        {
            _pool = pool;
            IsLarge = isLarge;
            // Pinned once, as Kestrel's blocks are: socket operations then need no pinning of their own.
            Memory = GC.AllocateUninitializedArray<byte>(size, pinned: true);
            _lent = true;
        }

        public Memory<byte> Memory { get; }

        // Counted against the budget; not derived from the size, which is the small blocks' too at a 4 KiB setting.
        public bool IsLarge { get; }

        public Block Lend()
        {
            _lent = true;
            return this;
        }

        public void Dispose()
        {
            // A block given back twice would be lent to two owners at once.
            if (_lent)
            {
                _lent = false;
                _pool.Return(this);
            }
        }
    }
}
