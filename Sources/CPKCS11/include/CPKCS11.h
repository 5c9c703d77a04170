// The few PKCS#11 (Cryptoki 2.40 / 3.0) declarations ModelSeal uses to sign with a key on a token and to
// wrap the key server's secrets with an AES key on a token (CKM_AES_GCM).
//
// Written from the OASIS specification (PKCS #11 Base Specification, sections 3 and 5), not copied from a
// vendor header, so that nothing here depends on an installed SDK: the module itself is loaded at run time
// with dlopen and reached through the function list its C_GetFunctionList returns (Sources/ModelSealPKCS11).
// Unix layout: natural alignment, CK_ULONG is unsigned long. Function-list entries ModelSeal never calls
// are declared with a generic pointer type; only their position matters.
#ifndef MODELSEAL_CPKCS11_H
#define MODELSEAL_CPKCS11_H

typedef unsigned char CK_BYTE;
typedef unsigned char CK_BBOOL;
typedef unsigned char CK_UTF8CHAR;
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_FLAGS;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_ULONG CK_KEY_TYPE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_USER_TYPE;

typedef struct CK_VERSION {
    CK_BYTE major;
    CK_BYTE minor;
} CK_VERSION;

typedef struct CK_INFO {
    CK_VERSION cryptokiVersion;
    CK_UTF8CHAR manufacturerID[32];
    CK_FLAGS flags;
    CK_UTF8CHAR libraryDescription[32];
    CK_VERSION libraryVersion;
} CK_INFO;

typedef struct CK_SLOT_INFO {
    CK_UTF8CHAR slotDescription[64];
    CK_UTF8CHAR manufacturerID[32];
    CK_FLAGS flags;
    CK_VERSION hardwareVersion;
    CK_VERSION firmwareVersion;
} CK_SLOT_INFO;

typedef struct CK_TOKEN_INFO {
    CK_UTF8CHAR label[32];
    CK_UTF8CHAR manufacturerID[32];
    CK_UTF8CHAR model[16];
    CK_BYTE serialNumber[16];
    CK_FLAGS flags;
    CK_ULONG ulMaxSessionCount;
    CK_ULONG ulSessionCount;
    CK_ULONG ulMaxRwSessionCount;
    CK_ULONG ulRwSessionCount;
    CK_ULONG ulMaxPinLen;
    CK_ULONG ulMinPinLen;
    CK_ULONG ulTotalPublicMemory;
    CK_ULONG ulFreePublicMemory;
    CK_ULONG ulTotalPrivateMemory;
    CK_ULONG ulFreePrivateMemory;
    CK_VERSION hardwareVersion;
    CK_VERSION firmwareVersion;
    CK_BYTE utcTime[16];
} CK_TOKEN_INFO;

typedef struct CK_ATTRIBUTE {
    CK_ATTRIBUTE_TYPE type;
    void *pValue;
    CK_ULONG ulValueLen;
} CK_ATTRIBUTE;

typedef struct CK_MECHANISM {
    CK_MECHANISM_TYPE mechanism;
    void *pParameter;
    CK_ULONG ulParameterLen;
} CK_MECHANISM;

// CKM_AES_GCM's parameter (PKCS #11 Current Mechanisms 2.40 §2.12.3; the layout 2.40 modules such as
// SoftHSM2 2.6 read, with ulIvBits).
typedef struct CK_GCM_PARAMS {
    CK_BYTE *pIv;
    CK_ULONG ulIvLen;
    CK_ULONG ulIvBits;
    CK_BYTE *pAAD;
    CK_ULONG ulAADLen;
    CK_ULONG ulTagBits;
} CK_GCM_PARAMS;

typedef struct CK_C_INITIALIZE_ARGS {
    void *CreateMutex;
    void *DestroyMutex;
    void *LockMutex;
    void *UnlockMutex;
    CK_FLAGS flags;
    void *pReserved;
} CK_C_INITIALIZE_ARGS;

typedef void (*CK_UNUSED_FUNCTION)(void);

// The function list, in the order of the specification (section 5); version 3.0 modules return a list
// whose first 68 entries are these.
typedef struct CK_FUNCTION_LIST {
    CK_VERSION version;
    CK_RV (*C_Initialize)(void *pInitArgs);
    CK_RV (*C_Finalize)(void *pReserved);
    CK_RV (*C_GetInfo)(CK_INFO *pInfo);
    CK_UNUSED_FUNCTION C_GetFunctionList;
    CK_RV (*C_GetSlotList)(CK_BBOOL tokenPresent, CK_SLOT_ID *pSlotList, CK_ULONG *pulCount);
    CK_RV (*C_GetSlotInfo)(CK_SLOT_ID slotID, CK_SLOT_INFO *pInfo);
    CK_RV (*C_GetTokenInfo)(CK_SLOT_ID slotID, CK_TOKEN_INFO *pInfo);
    CK_UNUSED_FUNCTION C_GetMechanismList;
    CK_UNUSED_FUNCTION C_GetMechanismInfo;
    CK_UNUSED_FUNCTION C_InitToken;
    CK_UNUSED_FUNCTION C_InitPIN;
    CK_UNUSED_FUNCTION C_SetPIN;
    CK_RV (*C_OpenSession)(
        CK_SLOT_ID slotID, CK_FLAGS flags, void *pApplication, void *Notify, CK_SESSION_HANDLE *phSession);
    CK_RV (*C_CloseSession)(CK_SESSION_HANDLE hSession);
    CK_UNUSED_FUNCTION C_CloseAllSessions;
    CK_UNUSED_FUNCTION C_GetSessionInfo;
    CK_UNUSED_FUNCTION C_GetOperationState;
    CK_UNUSED_FUNCTION C_SetOperationState;
    CK_RV (*C_Login)(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR *pPin, CK_ULONG ulPinLen);
    CK_RV (*C_Logout)(CK_SESSION_HANDLE hSession);
    CK_UNUSED_FUNCTION C_CreateObject;
    CK_UNUSED_FUNCTION C_CopyObject;
    CK_UNUSED_FUNCTION C_DestroyObject;
    CK_UNUSED_FUNCTION C_GetObjectSize;
    CK_RV (*C_GetAttributeValue)(
        CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE *pTemplate, CK_ULONG ulCount);
    CK_UNUSED_FUNCTION C_SetAttributeValue;
    CK_RV (*C_FindObjectsInit)(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE *pTemplate, CK_ULONG ulCount);
    CK_RV (*C_FindObjects)(
        CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE *phObject, CK_ULONG ulMaxObjectCount, CK_ULONG *pulObjectCount);
    CK_RV (*C_FindObjectsFinal)(CK_SESSION_HANDLE hSession);
    CK_RV (*C_EncryptInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM *pMechanism, CK_OBJECT_HANDLE hKey);
    CK_RV (*C_Encrypt)(
        CK_SESSION_HANDLE hSession, CK_BYTE *pData, CK_ULONG ulDataLen, CK_BYTE *pEncryptedData,
        CK_ULONG *pulEncryptedDataLen);
    CK_UNUSED_FUNCTION C_EncryptUpdate;
    CK_UNUSED_FUNCTION C_EncryptFinal;
    CK_RV (*C_DecryptInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM *pMechanism, CK_OBJECT_HANDLE hKey);
    CK_RV (*C_Decrypt)(
        CK_SESSION_HANDLE hSession, CK_BYTE *pEncryptedData, CK_ULONG ulEncryptedDataLen, CK_BYTE *pData,
        CK_ULONG *pulDataLen);
    CK_UNUSED_FUNCTION C_DecryptUpdate;
    CK_UNUSED_FUNCTION C_DecryptFinal;
    CK_UNUSED_FUNCTION C_DigestInit;
    CK_UNUSED_FUNCTION C_Digest;
    CK_UNUSED_FUNCTION C_DigestUpdate;
    CK_UNUSED_FUNCTION C_DigestKey;
    CK_UNUSED_FUNCTION C_DigestFinal;
    CK_RV (*C_SignInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM *pMechanism, CK_OBJECT_HANDLE hKey);
    CK_RV (*C_Sign)(
        CK_SESSION_HANDLE hSession, CK_BYTE *pData, CK_ULONG ulDataLen, CK_BYTE *pSignature,
        CK_ULONG *pulSignatureLen);
    // Later entries (C_SignUpdate onwards) are never reached.
} CK_FUNCTION_LIST;

typedef CK_RV (*CK_C_GetFunctionList)(CK_FUNCTION_LIST **ppFunctionList);

#endif
