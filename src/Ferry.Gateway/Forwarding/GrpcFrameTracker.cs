using System.Buffers;
using System.Buffers.Binary;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// Follows gRPC message boundaries in a byte stream by reading only the 5-byte prefixes (never the payload), so
/// the forwarder knows whether a failure fell between messages (then trailers can still carry a status) or in
/// the middle of one (then only a stream reset is honest). Also counts messages for the access log.
/// </summary>
internal struct GrpcFrameTracker
{
    private long _payloadRemaining;
    private int _prefixFilled;
    private uint _prefixLength;

    public long Messages { get; private set; }

    /// <summary>True when the bytes seen so far end exactly at a message boundary.</summary>
    public readonly bool AtBoundary => _payloadRemaining == 0 && _prefixFilled == 0;

    public void Advance(in ReadOnlySequence<byte> data)
    {
        foreach (var segment in data)
        {
            Advance(segment.Span);
        }
    }

    public void Advance(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_payloadRemaining > 0)
            {
                var skip = (int)Math.Min(_payloadRemaining, data.Length);
                _payloadRemaining -= skip;
                data = data[skip..];
            }
            else if (_prefixFilled == 0 && data.Length >= 5)
            {
                _payloadRemaining = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(1, 4));
                data = data[5..];
                Messages++;
            }
            else
            {
                // A prefix split across reads: byte 0 is the flag, bytes 1-4 the big-endian length.
                if (_prefixFilled > 0)
                {
                    _prefixLength = (_prefixLength << 8) | data[0];
                }

                data = data[1..];
                if (++_prefixFilled == 5)
                {
                    _payloadRemaining = _prefixLength;
                    _prefixFilled = 0;
                    _prefixLength = 0;
                    Messages++;
                }
            }
        }
    }
}
