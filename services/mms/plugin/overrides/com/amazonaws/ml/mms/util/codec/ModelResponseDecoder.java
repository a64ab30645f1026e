// Decodes a Python worker's reply in place of MMS 1.1.11's own decoder of the same name, which
// loses its place when a reply arrives in more than one read: it reads the status code, the
// header map and its lengths without checking that they have arrived, so a batch's reply cut
// by the socket ends as "Invalid message size: -3" and a dropped worker. This one reads a
// reply only once all of it is there, else leaves the buffer as it was for the next read.
//
// The same name, because MMS constructs it by that name: MMS's launcher puts "." first on the
// JVM's class path, and the JVM runs in the folder this class is compiled into
// (services/mms/plugin.py), so it is found before the one in MMS's jar.
//
// The reply, as the worker writes it (mms/protocol/otf_message_handler.py), every number a
// big-endian int32 and every string its length then UTF-8 bytes: code, message; then per
// request: request id, content type, status, reason phrase, header count and name/value
// pairs, body; then -1.
package com.amazonaws.ml.mms.util.codec;

import com.amazonaws.ml.mms.util.messages.ModelWorkerResponse;
import com.amazonaws.ml.mms.util.messages.Predictions;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class ModelResponseDecoder extends ByteToMessageDecoder {
    private static final int END = -1;

    /** Thrown while a reply is still arriving; one instance, without a stack trace. */
    private static final class Incomplete extends Exception {
        static final Incomplete INSTANCE = new Incomplete();

        private Incomplete() {
            super(null, null, false, false);
        }
    }

    private final int maxBufferSize;

    public ModelResponseDecoder(int maxBufferSize) {
        this.maxBufferSize = maxBufferSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        in.markReaderIndex();
        try {
            out.add(reply(in));
        } catch (Incomplete incomplete) {
            in.resetReaderIndex();
        }
    }

    private ModelWorkerResponse reply(ByteBuf in) throws Incomplete {
        ModelWorkerResponse response = new ModelWorkerResponse();
        response.setCode(number(in));
        response.setMessage(text(in, length(in)));
        List<Predictions> predictions = new ArrayList<>();
        for (int idLength = number(in); idLength != END; idLength = number(in)) {
            Predictions prediction = new Predictions();
            prediction.setRequestId(text(in, checked(idLength, in)));
            prediction.setContentType(text(in, length(in)));
            prediction.setStatusCode(number(in));
            prediction.setReasonPhrase(text(in, length(in)));
            prediction.setHeaders(headers(in));
            prediction.setResp(bytes(in, length(in)));
            predictions.add(prediction);
        }
        response.setPredictions(predictions);
        return response;
    }

    private Map<String, String> headers(ByteBuf in) throws Incomplete {
        int count = number(in);
        if (count < 0) {
            throw new CorruptedFrameException("Invalid header count: " + count);
        }
        Map<String, String> headers = new HashMap<>();
        for (int idx = 0; idx < count; idx++) {
            String name = text(in, length(in));
            headers.put(name, text(in, length(in)));
        }
        return headers;
    }

    private static int number(ByteBuf in) throws Incomplete {
        if (in.readableBytes() < Integer.BYTES) {
            throw Incomplete.INSTANCE;
        }
        return in.readInt();
    }

    /** A length field, and the bytes it announces already there. */
    private int length(ByteBuf in) throws Incomplete {
        return checked(number(in), in);
    }

    private int checked(int length, ByteBuf in) throws Incomplete {
        if (length < 0) {
            throw new CorruptedFrameException("Invalid message size: " + length);
        }
        if (length > maxBufferSize) {
            throw new CorruptedFrameException("Message size exceed limit: " + length);
        }
        if (in.readableBytes() < length) {
            throw Incomplete.INSTANCE;
        }
        return length;
    }

    private static String text(ByteBuf in, int length) {
        return in.readCharSequence(length, StandardCharsets.UTF_8).toString();
    }

    private static byte[] bytes(ByteBuf in, int length) {
        byte[] data = new byte[length];
        in.readBytes(data);
        return data;
    }
}
