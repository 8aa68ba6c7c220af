// VerifyCMS runs BouncyCastle's standard CMS verification, as Java systems that check signed
// documents do: VerifyCMS SIGNED-BYTES CMS-DER. It prints "verified" and exits 0 when every
// signer verifies with its certificate from the SignedData, else prints why and exits 1.
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.Collection;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.util.Store;

public class VerifyCMS {
    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        byte[] content = Files.readAllBytes(Paths.get(args[0]));
        byte[] cms = Files.readAllBytes(Paths.get(args[1]));
        CMSSignedData sd = new CMSSignedData(new CMSProcessableByteArray(content), cms);
        Store<X509CertificateHolder> certs = sd.getCertificates();
        int n = 0;
        for (SignerInformation si : sd.getSignerInfos().getSigners()) {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> match = certs.getMatches(si.getSID());
            if (match.isEmpty()) {
                System.out.println("no certificate for signer " + si.getSID());
                System.exit(1);
            }
            X509Certificate cert = new JcaX509CertificateConverter().setProvider("BC").getCertificate(match.iterator().next());
            try {
                if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(cert))) {
                    System.out.println("signer " + n + " does not verify");
                    System.exit(1);
                }
            } catch (Exception e) {
                System.out.println("signer " + n + ": " + e);
                System.exit(1);
            }
            n++;
        }
        System.out.println(n > 0 ? "verified" : "no signer");
        System.exit(n > 0 ? 0 : 1);
    }
}
