// Feeds a decoder of MMS worker replies one reply cut in two at every byte, as a socket may
// hand it over in two reads, and counts the cuts it did not decode back to the whole reply.
// Prints "<failed> of <cuts> cuts failed". Whichever ModelResponseDecoder comes first on the
// class path is the one tested (tests/mms/test_reply_decoder.py).
import com.amazonaws.ml.mms.util.codec.ModelResponseDecoder;
import com.amazonaws.ml.mms.util.messages.ModelWorkerResponse;
import com.amazonaws.ml.mms.util.messages.Predictions;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

public final class SplitReplies {
    private static final List<String> IDS = List.of("request-one", "request-two");
    private static final Map<String, String> HEADERS =
            Map.of("X-Backend", "mms", "X-Batch-Size", "2");

    private SplitReplies() {}

    private static String body(String id) {
        return "{\"next_number\":\"" + id + "\"}";
    }

    private static void text(DataOutputStream out, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /** A worker's reply to a batch of two, as mms/protocol/otf_message_handler.py writes it. */
    private static byte[] reply() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(200);
        text(out, "Prediction success");
        for (String id : IDS) {
            text(out, id);
            text(out, "application/json");
            out.writeInt(200);
            text(out, "OK");
            out.writeInt(HEADERS.size());
            for (Map.Entry<String, String> header : HEADERS.entrySet()) {
                text(out, header.getKey());
                text(out, header.getValue());
            }
            text(out, body(id));
        }
        out.writeInt(-1);
        return bytes.toByteArray();
    }

    private static boolean whole(ModelWorkerResponse response) {
        if (response == null
                || response.getCode() != 200
                || response.getPredictions().size() != IDS.size()) {
            return false;
        }
        for (int idx = 0; idx < IDS.size(); idx++) {
            Predictions prediction = response.getPredictions().get(idx);
            byte[] body = body(IDS.get(idx)).getBytes(StandardCharsets.UTF_8);
            if (!prediction.getRequestId().equals(IDS.get(idx))
                    || prediction.getStatusCode() != 200
                    || !prediction.getHeaders().equals(HEADERS)
                    || !Arrays.equals(prediction.getResp(), body)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the reply, in two reads cut at `cut`, decodes to itself and nothing else. */
    private static boolean decodes(byte[] reply, int cut) {
        EmbeddedChannel channel = new EmbeddedChannel(new ModelResponseDecoder(6553500));
        boolean decoded;
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(reply, 0, cut));
            channel.writeInbound(Unpooled.wrappedBuffer(reply, cut, reply.length - cut));
            decoded = whole(channel.readInbound()) && channel.readInbound() == null;
        } catch (RuntimeException error) {
            decoded = false;
        }
        try {
            channel.finishAndReleaseAll();
        } catch (RuntimeException leftOver) { // what it failed to decode, thrown at the close
            decoded = false;
        }
        return decoded;
    }

    public static void main(String[] args) throws IOException {
        byte[] reply = reply();
        int failed = 0;
        for (int cut = 1; cut < reply.length; cut++) {
            if (!decodes(reply, cut)) {
                failed++;
            }
        }
        System.out.println(failed + " of " + (reply.length - 1) + " cuts failed");
    }
}
