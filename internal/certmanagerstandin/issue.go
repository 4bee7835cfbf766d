package certmanagerstandin

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// defaultDuration is cert-manager's when a Certificate names none.
const defaultDuration = 90 * 24 * time.Hour

// signer is the issuing side: its certificate (nil for self-signed) and key.
type signer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// issue signs the Certificate with its issuer and writes Secret and status.
func (s *StandIn) issue(ctx context.Context, cert *cmapi.Certificate) error {
	parent, err := s.issuerSigner(ctx, cert)
	if err != nil {
		return err
	}
	key, keyPEM, err := newKey(cert.Spec.PrivateKey)
	if err != nil {
		return err
	}
	tmpl, err := certTemplate(cert, s.now())
	if err != nil {
		return err
	}
	if parent.cert == nil { // self-signed: the certificate signs itself
		parent = signer{cert: tmpl, key: key}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent.cert, key.Public(), parent.key)
	if err != nil {
		return fmt.Errorf("stand-in: signing %s/%s: %w", cert.Namespace, cert.Name, err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	caPEM := certPEM
	if parent.cert != tmpl {
		caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: parent.cert.Raw})
	}
	if err := s.writeSecret(ctx, cert, certPEM, keyPEM, caPEM); err != nil {
		return err
	}
	return s.markReady(ctx, cert, tmpl)
}

// issuerSigner finds what signs cert: nothing for a selfSigned Issuer, the
// CA Secret's key pair for a CA Issuer.
func (s *StandIn) issuerSigner(ctx context.Context, cert *cmapi.Certificate) (signer, error) {
	ref := cert.Spec.IssuerRef
	if ref.Kind != "" && ref.Kind != cmapi.IssuerKind {
		return signer{}, fmt.Errorf("stand-in: %s/%s uses a %s; only namespaced Issuers are supported", cert.Namespace, cert.Name, ref.Kind)
	}
	iss := &cmapi.Issuer{}
	if err := s.Client.Get(ctx, client.ObjectKey{Namespace: cert.Namespace, Name: ref.Name}, iss); err != nil {
		return signer{}, err
	}
	switch {
	case iss.Spec.SelfSigned != nil:
		return signer{}, nil
	case iss.Spec.CA != nil:
		return s.caSigner(ctx, cert.Namespace, iss.Spec.CA.SecretName)
	}
	return signer{}, fmt.Errorf("stand-in: Issuer %s/%s is neither selfSigned nor CA", iss.Namespace, iss.Name)
}

func (s *StandIn) caSigner(ctx context.Context, namespace, secretName string) (signer, error) {
	sec := &corev1.Secret{}
	err := s.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: secretName}, sec)
	if apierrors.IsNotFound(err) {
		return signer{}, errIssuerNotReady
	}
	if err != nil {
		return signer{}, err
	}
	pair, err := tls.X509KeyPair(sec.Data[corev1.TLSCertKey], sec.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return signer{}, fmt.Errorf("stand-in: CA Secret %s/%s: %w", namespace, secretName, err)
	}
	ca, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return signer{}, err
	}
	return signer{cert: ca, key: pair.PrivateKey.(crypto.Signer)}, nil
}

func certTemplate(cert *cmapi.Certificate, now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	duration := defaultDuration
	if cert.Spec.Duration != nil {
		duration = cert.Spec.Duration.Duration
	}
	t := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cert.Spec.CommonName},
		NotBefore: now, NotAfter: now.Add(duration), DNSNames: cert.Spec.DNSNames,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	for _, ip := range cert.Spec.IPAddresses {
		t.IPAddresses = append(t.IPAddresses, net.ParseIP(ip))
	}
	if cert.Spec.IsCA {
		t.IsCA, t.BasicConstraintsValid = true, true
		t.KeyUsage |= x509.KeyUsageCertSign
	}
	for _, u := range cert.Spec.Usages {
		switch u {
		case cmapi.UsageServerAuth:
			t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		case cmapi.UsageClientAuth:
			t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
		}
	}
	return t, nil
}

// newKey makes the key the Certificate asks for, PEM-encoded as cert-manager
// does by default (PKCS#1 for RSA, SEC 1 for ECDSA).
func newKey(spec *cmapi.CertificatePrivateKey) (crypto.Signer, []byte, error) {
	alg, size := cmapi.RSAKeyAlgorithm, 0
	if spec != nil {
		if spec.Algorithm != "" {
			alg = spec.Algorithm
		}
		size = spec.Size
	}
	switch alg {
	case cmapi.ECDSAKeyAlgorithm:
		curve := map[int]elliptic.Curve{0: elliptic.P256(), 256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()}[size]
		if curve == nil {
			return nil, nil, fmt.Errorf("stand-in: ECDSA size %d", size)
		}
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		der, err := x509.MarshalECPrivateKey(k)
		return k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), err
	case cmapi.RSAKeyAlgorithm:
		k, err := rsa.GenerateKey(rand.Reader, max(size, 2048))
		if err != nil {
			return nil, nil, err
		}
		return k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), nil
	}
	return nil, nil, fmt.Errorf("stand-in: key algorithm %s is not supported", alg)
}

func (s *StandIn) writeSecret(ctx context.Context, cert *cmapi.Certificate, certPEM, keyPEM, caPEM []byte) error {
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cert.Namespace, Name: cert.Spec.SecretName}}
	data := map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM, cmmeta.TLSCAKey: caPEM}
	annotations := map[string]string{
		cmapi.CertificateNameKey:      cert.Name,
		cmapi.IssuerNameAnnotationKey: cert.Spec.IssuerRef.Name,
		cmapi.IssuerKindAnnotationKey: cmapi.IssuerKind,
	}
	err := s.Client.Get(ctx, client.ObjectKeyFromObject(sec), sec)
	if apierrors.IsNotFound(err) {
		sec.Type, sec.Data, sec.Annotations = corev1.SecretTypeTLS, data, annotations
		return s.Client.Create(ctx, sec)
	}
	if err != nil {
		return err
	}
	sec.Data, sec.Annotations = data, annotations
	return s.Client.Update(ctx, sec)
}

func (s *StandIn) markReady(ctx context.Context, cert *cmapi.Certificate, issued *x509.Certificate) error {
	now := metav1.NewTime(s.now())
	notBefore, notAfter := metav1.NewTime(issued.NotBefore), metav1.NewTime(issued.NotAfter)
	renewal := metav1.NewTime(issued.NotBefore.Add(issued.NotAfter.Sub(issued.NotBefore) * 2 / 3))
	cert.Status.NotBefore, cert.Status.NotAfter, cert.Status.RenewalTime = &notBefore, &notAfter, &renewal
	cert.Status.Conditions = []cmapi.CertificateCondition{{
		Type: cmapi.CertificateConditionReady, Status: cmmeta.ConditionTrue,
		Reason: "Ready", Message: "Issued by the kvenv test stand-in for cert-manager",
		LastTransitionTime: &now, ObservedGeneration: cert.Generation,
	}}
	return s.Client.Status().Update(ctx, cert)
}
