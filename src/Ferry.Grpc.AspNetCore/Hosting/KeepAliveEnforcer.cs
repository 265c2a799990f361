using System.Buffers.Binary;
using System.IO.Pipelines;
using Ferry.Grpc.Protocol;
using Microsoft.Extensions.Logging;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>
/// Keepalive enforcement for one connection, fed by the frame headers that the transport wrappers see go by:
/// <code>
///   client ──► KeepAliveInboundReader ──► OnClientFrame: HEADERS opens a call, RST_STREAM ends it,
///                                          PING ──► PingAbusePolicy ──(too many)──► GOAWAY due + close timer
///   Kestrel ──► KeepAliveOutboundWriter ─► OnServerFrame: HEADERS/DATA clear strikes, END_STREAM/RST_STREAM end calls
///                 └── on Kestrel's next flush at a frame boundary: WriteGoAwayIfDue
///   close timer (GoAwayGracePeriod) ──► abort the connection
/// </code>
/// The inbound and outbound sides run on different threads; their shared state is guarded by one lock taken only
/// per frame of interest, never per byte.
/// </summary>
internal sealed class KeepAliveEnforcer : IDisposable
{
    private const int None = 0;
    private const int Due = 1;
    private const int Written = 2;

    private static ReadOnlySpan<byte> TooManyPings => "too_many_pings"u8;

    private readonly Lock _sync = new();
    private readonly ServerKeepAliveOptions _options;
    private readonly PingAbusePolicy _policy;
    private readonly HashSet<int> _openStreams = [];
    private readonly Action _abort;
    private readonly ILogger _logger;
    private readonly string _connectionId;
    private int _lastClientStreamId;
    private volatile bool _pingedSinceReset;
    private int _goAway;
    private ITimer? _closeTimer;
    private bool _disposed;

    public KeepAliveEnforcer(ServerKeepAliveOptions options, string connectionId, Action abort, ILogger logger)
    {
        _options = options;
        _policy = new PingAbusePolicy(options);
        _connectionId = connectionId;
        _abort = abort;
        _logger = logger;
    }

    /// <summary>Whether GOAWAY too_many_pings waits to be written; read by the writer on each flush.</summary>
    public bool IsGoAwayDue => Volatile.Read(ref _goAway) == Due;

    public void OnClientFrame(in Http2FrameHeader frame)
    {
        switch (frame.Type)
        {
            case Http2FrameType.Headers:
                lock (_sync)
                {
                    // Client streams are odd and increasing; HEADERS on an older stream are trailers, not a new call.
                    if ((frame.StreamId & 1) == 1 && frame.StreamId > _lastClientStreamId)
                    {
                        _lastClientStreamId = frame.StreamId;
                        _openStreams.Add(frame.StreamId);
                    }
                }

                break;
            case Http2FrameType.RstStream:
                EndCall(frame.StreamId);
                break;
            case Http2FrameType.Ping when frame.IsPingRequest:
                OnPing();
                break;
        }
    }

    public void OnServerFrame(in Http2FrameHeader frame)
    {
        switch (frame.Type)
        {
            case Http2FrameType.Headers or Http2FrameType.Data:
                // The flag spares the lock on the hot path: a reset racing a ping only delays the reset to the next frame.
                if (_pingedSinceReset)
                {
                    lock (_sync)
                    {
                        _policy.Reset();
                        _pingedSinceReset = false;
                    }
                }

                if (frame.IsEndStream)
                {
                    EndCall(frame.StreamId);
                }

                break;
            case Http2FrameType.RstStream:
                EndCall(frame.StreamId);
                break;
        }
    }

    /// <summary>
    /// Writes GOAWAY ENHANCE_YOUR_CALM "too_many_pings" when it is due. Only the outbound writer calls this, from
    /// Kestrel's own (serialised) write calls and only at a frame boundary, so it never splits one of Kestrel's frames.
    /// </summary>
    public void WriteGoAwayIfDue(PipeWriter output)
    {
        if (Interlocked.CompareExchange(ref _goAway, Written, Due) != Due)
        {
            return;
        }

        int lastStreamId;
        lock (_sync)
        {
            lastStreamId = _lastClientStreamId;
        }

        const int fixedPayload = 8;
        var length = Http2FrameHeader.Size + fixedPayload + TooManyPings.Length;
        var frame = output.GetSpan(length);
        new Http2FrameHeader(fixedPayload + TooManyPings.Length, Http2FrameType.GoAway, Http2FrameFlags.None, 0).Write(frame);
        BinaryPrimitives.WriteInt32BigEndian(frame[Http2FrameHeader.Size..], lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(frame[(Http2FrameHeader.Size + 4)..], (uint)Http2ErrorCode.EnhanceYourCalm);
        TooManyPings.CopyTo(frame[(Http2FrameHeader.Size + fixedPayload)..]);
        output.Advance(length);
        KeepAliveLog.GoAwayWritten(_logger, _connectionId, lastStreamId);
    }

    public void NotHttp2() => KeepAliveLog.NotHttp2(_logger, _connectionId);

    public void Dispose()
    {
        lock (_sync)
        {
            _disposed = true;
            _closeTimer?.Dispose();
        }
    }

    private void OnPing()
    {
        bool sendAway;
        int strikes;
        int activeCalls;
        lock (_sync)
        {
            _pingedSinceReset = true;
            activeCalls = _openStreams.Count;
            var before = _policy.Strikes;
            sendAway = _policy.OnPing(activeCalls: activeCalls > 0);
            strikes = _policy.Strikes == before ? 0 : _policy.Strikes;
        }

        KeepAliveLog.PingReceived(_logger, _connectionId, activeCalls);

        if (strikes > 0)
        {
            KeepAliveLog.PingStrike(_logger, _connectionId, strikes, _options.MaxPingStrikes);
        }

        if (sendAway && Interlocked.CompareExchange(ref _goAway, Due, None) == None)
        {
            KeepAliveLog.TooManyPings(_logger, _connectionId, strikes, _options.GoAwayGracePeriod);
            lock (_sync)
            {
                if (!_disposed)
                {
                    _closeTimer = _options.TimeProvider.CreateTimer(static state => ((KeepAliveEnforcer)state!).Close(), this, _options.GoAwayGracePeriod, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    private void Close()
    {
        KeepAliveLog.Closing(_logger, _connectionId);
        _abort();
    }

    private void EndCall(int streamId)
    {
        lock (_sync)
        {
            _openStreams.Remove(streamId);
        }
    }
}
