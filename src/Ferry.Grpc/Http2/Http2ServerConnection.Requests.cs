using System.Buffers;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// Requests as they arrive: header blocks (HEADERS plus CONTINUATION) decoded and validated into new streams or
/// trailers, DATA into body buffers, and the receive side of flow control. Every header block is decoded whole, even
/// one that is refused or belongs to a closed stream, so that HPACK state stays in step with the client's.
/// </summary>
internal sealed partial class Http2ServerConnection
{
    private readonly HpackDecoder _decoder;
    private readonly Http2RequestValidator _request = new();
    private readonly PooledBufferWriter _headerBlock = new();
    private int _headerBlockStreamId;
    private bool _headerBlockEndStream;
    private bool _headerBlockSelfDependent;
    // Written by the read loop only (under the lock, as others read it there).
    private int _highestStreamId;
    // The highest stream id acted on: the last stream id of a GOAWAY the connection ends with.
    private int _lastProcessedStreamId;
    private int _receiveWindow;
    private int _receivedUnacked;
    // The connection window's full size: grows with the tuner's target.
    private int _connectionWindow;
    private readonly Http2WindowTuner? _windowTuner;
    // How far a stream's window may be overdrawn before the client acknowledged our SETTINGS (it may still count
    // from the default 65,535 until then).
    private int _receiveWindowSlack;

    /// <summary>
    /// The largest header block buffered from several frames. Twice the header list limit leaves room for a
    /// Huffman coding worse than plain octets; a client that goes beyond sends garbage or floods (CONTINUATION flood).
    /// </summary>
    private long MaxHeaderBlockSize => Math.Max(2L * _options.MaxHeaderListSize, DefaultMaxFrameSize);

    private void OnHeaders(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStream(header);
        if ((header.StreamId & 1) == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"HEADERS on stream {header.StreamId}: client streams have odd ids.");
        }

        var fragment = Http2FramePayload.RemovePadding(header, payload);
        var selfDependent = false;
        if (header.HasFlag(Http2FrameFlags.Priority))
        {
            if (fragment.Length < 5)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "HEADERS frame too short for its priority fields.");
            }

            selfDependent = (Http2FramePayload.ReadUInt32(fragment) & 0x7FFF_FFFF) == header.StreamId;
            fragment = fragment.Slice(5);
        }

        var endStream = header.HasFlag(Http2FrameFlags.EndStream);
        if (header.HasFlag(Http2FrameFlags.EndHeaders))
        {
            if (fragment.IsSingleSegment)
            {
                // The usual case: the whole block in one frame, decoded where it lies.
                OnHeaderBlock(header.StreamId, endStream, selfDependent, fragment.FirstSpan);
                return;
            }

            _headerBlock.Reset();
            Append(fragment);
            OnHeaderBlock(header.StreamId, endStream, selfDependent, _headerBlock.WrittenSpan);
            return;
        }

        if (fragment.Length > MaxHeaderBlockSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"Header block larger than {MaxHeaderBlockSize} bytes.");
        }

        _headerBlock.Reset();
        Append(fragment);
        _headerBlockStreamId = header.StreamId;
        _headerBlockEndStream = endStream;
        _headerBlockSelfDependent = selfDependent;
    }

    private void OnContinuation(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_headerBlockStreamId == 0 || header.StreamId != _headerBlockStreamId)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "CONTINUATION frame without a header block in progress on its stream.");
        }

        if (_headerBlock.WrittenCount + payload.Length > MaxHeaderBlockSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"Header block larger than {MaxHeaderBlockSize} bytes.");
        }

        Append(payload);
        if (header.HasFlag(Http2FrameFlags.EndHeaders))
        {
            _headerBlockStreamId = 0;
            OnHeaderBlock(header.StreamId, _headerBlockEndStream, _headerBlockSelfDependent, _headerBlock.WrittenSpan);
        }
        else if (payload.IsEmpty)
        {
            CountEmptyFrame(header);
        }
    }

    private void Append(in ReadOnlySequence<byte> fragment)
    {
        foreach (var segment in fragment)
        {
            _headerBlock.Write(segment.Span);
        }
    }

    /// <summary>A complete header block: a new request, a request's trailers, or a block for a stream that is gone.</summary>
    private void OnHeaderBlock(int streamId, bool endStream, bool selfDependent, ReadOnlySpan<byte> block)
    {
        if (streamId > _highestStreamId)
        {
            OnNewRequest(streamId, endStream, selfDependent, block);
            return;
        }

        Http2ServerStream? stream;
        lock (_sync)
        {
            _streams.TryGetValue(streamId, out stream);
        }

        if (stream is not null)
        {
            OnTrailers(stream, endStream, selfDependent, block);
            return;
        }

        if (!endStream)
        {
            // Trailers carry END_STREAM; without it this opens a stream with an id that went by (section 5.1.1).
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"HEADERS opening stream {streamId} after stream {_highestStreamId}: stream ids must increase.");
        }

        // Trailers of a stream that closed meanwhile (we answered or reset it): dropped.
        _decoder.Decode(block, HpackDiscardingSink.Instance);
    }

    private void OnNewRequest(int streamId, bool endStream, bool selfDependent, ReadOnlySpan<byte> block)
    {
        _request.BeginRequest();
        string? problem;
        var tooLarge = false;
        try
        {
            _decoder.Decode(block, _request);
            problem = _request.End(endStream);
        }
        catch (HeaderListTooLargeException)
        {
            tooLarge = true;
            problem = null;
        }

        if (problem is null && selfDependent)
        {
            problem = "the stream depends on itself";
        }

        if (problem is null && endStream && _request.ContentLength > 0)
        {
            problem = $"content-length {_request.ContentLength} on a request without a body";
        }

        lock (_sync)
        {
            _highestStreamId = streamId;
            if (_closed is not null || streamId > _goAwayLastStreamId)
            {
                // After the final GOAWAY new streams are ignored: the client retries them on another connection.
                return;
            }

            if (tooLarge)
            {
                RespondHeaderListTooLargeLocked(streamId, endStream);
                return;
            }

            if (problem is not null)
            {
                RefuseStreamLocked(streamId, Http2ErrorCode.ProtocolError);
                return;
            }

            if (_streams.Count >= _options.MaxConcurrentStreams)
            {
                RefuseStreamLocked(streamId, Http2ErrorCode.RefusedStream);
                return;
            }

            var stream = new Http2ServerStream(this, RentBodyLocked(), streamId, _request, _peerInitialWindow, _options.InitialStreamWindow);
            _streams.Add(streamId, stream);
            Volatile.Write(ref _openStreams, _streams.Count);
            _lastProcessedStreamId = streamId;
            if (endStream)
            {
                stream.RemoteEnded = true;
                stream.EndBody();
            }

            _arrived.Add(stream);
        }
    }

    /// <summary>
    /// Answers a request whose headers exceed the advertised limit with 431 (RFC 6585), which tells the client more
    /// than a reset would; the block was decoded whole, so HPACK is still in step (under the lock).
    /// </summary>
    private void RespondHeaderListTooLargeLocked(int streamId, bool endStream)
    {
        _headerWriter.Begin();
        _headerWriter.AddOctets(":status", "431");
        var block = _headerWriter.Encode();
        Http2FrameWriter.WriteHeaders(_pending, streamId, block, endStream: true, _peerMaxFrameSize);
        if (!endStream)
        {
            // The response is complete; the request need not be sent (section 8.1).
            Http2FrameWriter.WriteRstStream(_pending, streamId, Http2ErrorCode.NoError);
        }

        _lastProcessedStreamId = streamId;
        AddControlBacklogLocked(Http2FrameHeader.Size * 2 + 4 + block.Length);
        _signalAfterBatch |= ScheduleWrite();
    }

    private void OnTrailers(Http2ServerStream stream, bool endStream, bool selfDependent, ReadOnlySpan<byte> block)
    {
        _request.BeginTrailers();
        string? problem;
        try
        {
            _decoder.Decode(block, _request);
            problem = _request.End(endStream);
        }
        catch (HeaderListTooLargeException)
        {
            problem = $"trailers larger than {_options.MaxHeaderListSize} bytes";
        }

        if (problem is null && selfDependent)
        {
            problem = "the stream depends on itself";
        }

        lock (_sync)
        {
            if (stream.Closed)
            {
                return;
            }

            if (stream.RemoteEnded)
            {
                StreamErrorLocked(stream, Http2ErrorCode.StreamClosed, "HEADERS after the end of the request");
            }
            else if (problem is not null)
            {
                StreamErrorLocked(stream, Http2ErrorCode.ProtocolError, problem);
            }
            else if (stream.ContentLength >= 0 && stream.Received != stream.ContentLength)
            {
                StreamErrorLocked(stream, Http2ErrorCode.ProtocolError, $"{stream.Received} bytes of body with content-length {stream.ContentLength}");
            }
            else
            {
                stream.RequestTrailers = _request.Fields;
                EndRemoteLocked(stream);
            }
        }
    }

    private void OnData(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStream(header);
        RequireNotIdle(header);
        var data = Http2FramePayload.RemovePadding(header, payload);
        var endStream = header.HasFlag(Http2FrameFlags.EndStream);
        if (header.Length == 0 && !endStream)
        {
            CountEmptyFrame(header);
        }

        lock (_sync)
        {
            // The whole frame, padding included, counts against the windows (section 6.9.1).
            _receiveWindow -= header.Length;
            if (_receiveWindow < 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "The client sent more data than the connection window allowed.");
            }

            _receivedUnacked += header.Length;
            if (_receivedUnacked >= _connectionWindow / 2)
            {
                // Returned on arrival: the connection window never lets one unread stream stall the others; each
                // stream's own window bounds what it can hold here.
                Http2FrameWriter.WriteWindowUpdate(_pending, 0, _receivedUnacked);
                _receiveWindow += _receivedUnacked;
                _receivedUnacked = 0;
                _signalAfterBatch |= ScheduleWrite();
            }

            if (_windowTuner?.OnData(header.Length) == true)
            {
                Http2FrameWriter.WritePing(_pending, Http2WindowTuner.PingPayload, ack: false);
                _signalAfterBatch |= ScheduleWrite();
            }

            if (!_streams.TryGetValue(header.StreamId, out var stream))
            {
                // A stream that closed meanwhile: the data is dropped (its connection window share came back above).
                _signalAfterBatch |= OnDrainDataLocked(header.StreamId, header.Length, endStream);
                return;
            }

            if (stream.RemoteEnded)
            {
                StreamErrorLocked(stream, Http2ErrorCode.StreamClosed, "DATA after the end of the request");
            }
            else if ((stream.ReceiveWindow -= header.Length) < -_receiveWindowSlack)
            {
                StreamErrorLocked(stream, Http2ErrorCode.FlowControlError, "more data than the stream window allowed");
            }
            else if (stream.ContentLength >= 0 && (stream.Received + data.Length > stream.ContentLength || (endStream && stream.Received + data.Length != stream.ContentLength)))
            {
                StreamErrorLocked(stream, Http2ErrorCode.ProtocolError, $"{stream.Received + data.Length} bytes of body (so far) with content-length {stream.ContentLength}");
            }
            else
            {
                stream.Received += data.Length;
                if (!data.IsEmpty)
                {
                    stream.DeliverData(data);
                }

                if (endStream)
                {
                    EndRemoteLocked(stream);
                }
                else if (header.Length > data.Length)
                {
                    // Padding never reaches the handler, so its share of the window goes back with the next credit.
                    stream.UnackedConsumed += header.Length - (int)data.Length;
                    _signalAfterBatch |= CreditStreamLocked(stream);
                }
            }
        }
    }

    /// <summary>The request ended (under the lock); with the response over too, the stream closes.</summary>
    private void EndRemoteLocked(Http2ServerStream stream)
    {
        stream.RemoteEnded = true;
        stream.EndBody();
        if (stream.LocalEnded)
        {
            CloseStreamLocked(stream, error: null, notify: false);
        }
    }
}
