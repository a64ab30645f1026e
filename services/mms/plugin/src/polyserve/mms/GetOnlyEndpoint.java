// An endpoint that answers GET only: every other method gets the contract's 405.
package polyserve.mms;

import java.io.IOException;
import software.amazon.ai.mms.servingsdk.Context;
import software.amazon.ai.mms.servingsdk.ModelServerEndpoint;
import software.amazon.ai.mms.servingsdk.http.Request;
import software.amazon.ai.mms.servingsdk.http.Response;

abstract class GetOnlyEndpoint extends ModelServerEndpoint {

    @Override
    public void doPost(Request request, Response response, Context context) throws IOException {
        Replies.methodNotAllowed(response);
    }

    @Override
    public void doPut(Request request, Response response, Context context) throws IOException {
        Replies.methodNotAllowed(response);
    }

    @Override
    public void doDelete(Request request, Response response, Context context) throws IOException {
        Replies.methodNotAllowed(response);
    }
}
